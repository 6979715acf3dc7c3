"""A small wasi:http@0.3.0 service in Python (componentize-py), for the serve benchmarks.

  /hello   `Hello, wasi:http/service world!` (text/plain)
  /echo    the request body streamed back as it arrives
  /count   `count N`: requests this instance has served (a module global: instance reuse)
  else     404
"""

import wit_world
from componentize_py_async_support import spawn
from componentize_py_async_support.streams import ByteStreamReader, ByteStreamWriter
from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports import wasi_http_types as http

HELLO = b"Hello, wasi:http/service world!\n"
served = 0


async def send(data: bytes, tx: ByteStreamWriter) -> None:
    with tx:
        await tx.write_all(data)


async def pump(rx: ByteStreamReader, tx: ByteStreamWriter) -> None:
    with rx, tx:
        while not rx.writer_dropped:
            chunk = await rx.read(65536)
            if chunk:
                await tx.write_all(chunk)


def response(status: int) -> tuple[http.Response, ByteStreamWriter]:
    tx, rx = wit_world.byte_stream()
    _, trailers = wit_world.result_option_wasi_http_types_fields_wasi_http_types_error_code_future(
        lambda: Ok(None)
    )
    headers = http.Fields.from_list([("content-type", b"text/plain")])
    out, _ = http.Response.new(headers, rx, trailers)
    out.set_status_code(status)
    return out, tx


class Handler(exports.Handler):
    async def handle(self, request: http.Request) -> http.Response:
        global served
        served += 1
        path = request.get_path_with_query()
        if path == "/echo":
            _, consumed = wit_world.result_unit_wasi_http_types_error_code_future(lambda: Ok(None))
            body, _ = http.Request.consume_body(request, consumed)
            out, tx = response(200)
            spawn(pump(body, tx))
            return out
        if path == "/hello":
            out, tx = response(200)
            spawn(send(HELLO, tx))
        elif path == "/count":
            out, tx = response(200)
            spawn(send(f"count {served}\n".encode(), tx))
        else:
            out, tx = response(404)
            spawn(send(b"not found\n", tx))
        return out
