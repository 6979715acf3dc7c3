"""A small wasi:http@0.2.12 proxy in Python (componentize-py), for the serve benchmarks.

  /hello   `Hello, wasi:http/proxy world!` (text/plain)
  /echo    the request body back, read whole, then written in 4 KiB writes
  /count   `count N`: requests this instance has served (a module global: instance reuse)
  else     404
"""

from componentize_py_types import Err, Ok
from wit_world import exports
from wit_world.imports.streams import StreamError_Closed
from wit_world.imports.types import (
    Fields,
    IncomingRequest,
    OutgoingBody,
    OutgoingResponse,
    ResponseOutparam,
)

HELLO = b"Hello, wasi:http/proxy world!\n"
served = 0


def read_body(request: IncomingRequest) -> bytes:
    data = bytearray()
    with request.consume() as body:
        with body.stream() as stream:
            while True:
                try:
                    data += stream.blocking_read(65536)
                except Err as e:
                    if isinstance(e.value, StreamError_Closed):
                        break
                    raise
    return bytes(data)


def respond(out: ResponseOutparam, status: int, data: bytes) -> None:
    response = OutgoingResponse(Fields.from_list([("content-type", b"text/plain")]))
    response.set_status_code(status)
    body = response.body()
    ResponseOutparam.set(out, Ok(response))
    with body.write() as stream:
        for i in range(0, len(data), 4096):
            stream.blocking_write_and_flush(data[i : i + 4096])
    OutgoingBody.finish(body, None)


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request: IncomingRequest, response_out: ResponseOutparam) -> None:
        global served
        served += 1
        path = request.path_with_query()
        if path == "/hello":
            respond(response_out, 200, HELLO)
        elif path == "/echo":
            respond(response_out, 200, read_body(request))
        elif path == "/count":
            respond(response_out, 200, f"count {served}\n".encode())
        else:
            respond(response_out, 404, b"not found\n")
