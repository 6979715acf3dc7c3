//! Conversions between p1's types and the core's: timestamps, file types, stat records, guest
//! memory writes.

use crate::types::{self, Errno};
use p3_core::filesystem::{DescriptorStat, DescriptorType, NewTimestamp, system_time};
use std::time::SystemTime;
use wiggle::{GuestMemory, GuestPtr};

type Result<T, E = types::Error> = std::result::Result<T, E>;

pub(crate) fn write_bytes(
    memory: &mut GuestMemory<'_>,
    ptr: GuestPtr<u8>,
    buf: &[u8],
) -> Result<GuestPtr<u8>> {
    let len = u32::try_from(buf.len())?;
    memory.copy_from_slice(buf, ptr.as_array(len))?;
    Ok(ptr.add(len)?)
}

pub(crate) fn write_byte(
    memory: &mut GuestMemory<'_>,
    ptr: GuestPtr<u8>,
    byte: u8,
) -> Result<GuestPtr<u8>> {
    memory.write(ptr, byte)?;
    Ok(ptr.add(1)?)
}

/// A p1 timestamp (nanoseconds since the epoch); `overflow` past u64.
pub(crate) fn timestamp(t: Option<SystemTime>) -> Result<types::Timestamp> {
    let Some(t) = t else { return Ok(0) };
    let (secs, nanos) = p3_core::filesystem::unix_time(t).unwrap_or((0, 0));
    let secs = u64::try_from(secs).unwrap_or(0);
    Ok(secs
        .checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(nanos.into()))
        .ok_or(Errno::Overflow)?)
}

/// What `fst_flags` asks for one timestamp.
pub(crate) fn new_timestamp(set: bool, ts: types::Timestamp, now: bool) -> Result<NewTimestamp> {
    match (set, now) {
        (true, true) => Err(Errno::Inval.into()),
        (true, false) => Ok(NewTimestamp::Timestamp(system_time(
            (ts / 1_000_000_000).into(),
            (ts % 1_000_000_000) as u32,
        )?)),
        (false, true) => Ok(NewTimestamp::Now),
        (false, false) => Ok(NewTimestamp::NoChange),
    }
}

pub(crate) fn times(
    atim: types::Timestamp,
    mtim: types::Timestamp,
    flags: types::Fstflags,
) -> Result<(NewTimestamp, NewTimestamp)> {
    Ok((
        new_timestamp(
            flags.contains(types::Fstflags::ATIM),
            atim,
            flags.contains(types::Fstflags::ATIM_NOW),
        )?,
        new_timestamp(
            flags.contains(types::Fstflags::MTIM),
            mtim,
            flags.contains(types::Fstflags::MTIM_NOW),
        )?,
    ))
}

pub(crate) fn filetype(ty: DescriptorType) -> Result<types::Filetype> {
    Ok(match ty {
        DescriptorType::RegularFile => types::Filetype::RegularFile,
        DescriptorType::Directory => types::Filetype::Directory,
        DescriptorType::BlockDevice => types::Filetype::BlockDevice,
        DescriptorType::CharacterDevice => types::Filetype::CharacterDevice,
        DescriptorType::SymbolicLink => types::Filetype::SymbolicLink,
        // p1 has no FIFO code; a socket found by path has no p1 file type either.
        DescriptorType::Fifo | DescriptorType::Socket | DescriptorType::Unknown => {
            types::Filetype::Unknown
        }
    })
}

pub(crate) fn stdio_filetype(is_terminal: bool) -> types::Filetype {
    if is_terminal {
        types::Filetype::CharacterDevice
    } else {
        types::Filetype::Unknown
    }
}

pub(crate) fn filestat(stat: DescriptorStat, ino: u64) -> Result<types::Filestat> {
    Ok(types::Filestat {
        dev: 1,
        ino,
        filetype: filetype(stat.type_)?,
        nlink: stat.link_count,
        size: stat.size,
        atim: timestamp(stat.data_access_timestamp)?,
        mtim: timestamp(stat.data_modification_timestamp)?,
        ctim: timestamp(stat.status_change_timestamp)?,
    })
}

pub(crate) fn lookup_follows(flags: types::Lookupflags) -> bool {
    flags.contains(types::Lookupflags::SYMLINK_FOLLOW)
}
