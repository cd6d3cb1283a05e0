//! Writing the new objects of one large commit as a single pack file and its index, without
//! deltas, so that a commit of thousands of files costs a few file operations instead of a
//! few per object.
//!
//! The formats are git's pack version 2 and pack index version 2, as described in git's
//! `Documentation/gitformat-pack.txt`.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::write::ZlibEncoder;
use flate2::Compression;
use git2::{ObjectType, Oid};
use sha1::{Digest, Sha1};

use crate::error::{Error, Result};

/// The zlib level of packed objects (1 is fastest, 9 smallest).
const ZLIB_LEVEL: u32 = 2;

/// Bytes read from a file at a time while hashing and compressing it.
const READ_CHUNK: usize = 1 << 20;

/// One object, hashed and compressed, ready to be appended to a pack.
pub struct Encoded {
    pub id: Oid,
    kind: ObjectType,
    size: u64,
    compressed: Vec<u8>,
}

/// Hashes and compresses an object held in memory.
pub fn encode(kind: ObjectType, data: &[u8]) -> Encoded {
    let mut encoder = ObjectEncoder::new(kind, data.len() as u64);
    encoder.update(data);
    encoder.finish()
}

/// Hashes and compresses a file as a blob, reading it in chunks so that only the compressed
/// bytes are held in memory. Returns the file's metadata too.
pub fn encode_file(path: &Path) -> Result<(Encoded, fs::Metadata)> {
    let mut file = File::open(path).map_err(Error::io("open", path))?;
    let metadata = file.metadata().map_err(Error::io("read", path))?;
    let size = metadata.len();
    let mut encoder = ObjectEncoder::new(ObjectType::Blob, size);
    let mut buffer = vec![0; READ_CHUNK.min(size as usize + 1)];
    let mut read = 0u64;
    loop {
        let count = file.read(&mut buffer).map_err(Error::io("read", path))?;
        if count == 0 {
            break;
        }
        read += count as u64;
        encoder.update(&buffer[..count]);
    }
    if read != size {
        return Err(Error::invalid(format!(
            "`{}` changed size while it was being committed",
            path.display()
        )));
    }
    Ok((encoder.finish(), metadata))
}

/// The object id (SHA-1 of `<type> <size>\0` and the data) and the zlib stream of an object.
struct ObjectEncoder {
    kind: ObjectType,
    size: u64,
    hash: Sha1,
    zlib: ZlibEncoder<Vec<u8>>,
}

impl ObjectEncoder {
    fn new(kind: ObjectType, size: u64) -> Self {
        let mut hash = Sha1::new();
        hash.update(format!("{} {size}\0", kind.str()).as_bytes());
        // With the zlib-rs backend, level 2 packed the 500 MB of evidence of a bench ingest
        // (benches/ingest) into 62 MB, as fast as level 1, whose quick strategy gave 91 MB.
        // Alerts compress about 8:1, so a sixteenth of the size is a small first reservation.
        let zlib = ZlibEncoder::new(
            Vec::with_capacity(size as usize / 16),
            Compression::new(ZLIB_LEVEL),
        );
        ObjectEncoder {
            kind,
            size,
            hash,
            zlib,
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.hash.update(data);
        // A Vec accepts every write, so the encoder returns no error here.
        let _ = self.zlib.write_all(data);
    }

    fn finish(self) -> Encoded {
        let id = Oid::from_bytes(&self.hash.finalize()).expect("a SHA-1 digest is 20 bytes");
        let compressed = self.zlib.finish().unwrap_or_default();
        Encoded {
            id,
            kind: self.kind,
            size: self.size,
            compressed,
        }
    }
}

/// A pack being written to a temporary file in `objects/pack`.
pub struct PackFile {
    dir: PathBuf,
    temporary: PathBuf,
    file: BufWriter<File>,
    offset: u64,
    /// Id, offset in the pack and CRC-32 of the packed bytes of every object written.
    entries: Vec<(Oid, u64, u32)>,
    written: HashSet<Oid>,
    finished: bool,
}

impl PackFile {
    /// Creates the temporary pack in `objects_dir/pack` and writes its header.
    pub fn create(objects_dir: &Path) -> Result<PackFile> {
        let dir = objects_dir.join("pack");
        fs::create_dir_all(&dir).map_err(Error::io("create directory", &dir))?;
        let temporary = dir.join(format!("tmp_casefile_{}.pack", std::process::id()));
        // Read access too, because `finish` reads the pack back for its checksum.
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&temporary)
            .map_err(Error::io("create", &temporary))?;
        let mut pack = PackFile {
            dir,
            temporary,
            file: BufWriter::with_capacity(1 << 20, file),
            offset: 0,
            entries: Vec::new(),
            written: HashSet::new(),
            finished: false,
        };
        // The object count is not known yet, so `finish` writes it over this zero.
        pack.write(b"PACK\0\0\0\x02\0\0\0\0")?;
        Ok(pack)
    }

    /// Appends an object, unless an object with the same id is already in this pack.
    pub fn add(&mut self, object: &Encoded) -> Result<()> {
        if !self.written.insert(object.id) {
            return Ok(());
        }
        let header = entry_header(object.kind, object.size);
        let mut crc = crc32fast::Hasher::new();
        crc.update(&header);
        crc.update(&object.compressed);
        self.entries.push((object.id, self.offset, crc.finalize()));
        self.write(&header)?;
        self.write(&object.compressed)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(Error::io("write", &self.temporary))?;
        self.offset += bytes.len() as u64;
        Ok(())
    }

    /// Writes the object count and the checksum, writes the index, and moves both files to
    /// their final names, which makes the objects visible to git.
    pub fn finish(mut self) -> Result<()> {
        self.complete()?;
        self.finished = true;
        Ok(())
    }

    fn complete(&mut self) -> Result<()> {
        let path = self.temporary.clone();
        let count = u32::try_from(self.entries.len())
            .map_err(|_| Error::invalid("a commit of more than 2^32 objects is not supported"))?;
        self.file.flush().map_err(Error::io("write", &path))?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(8))
            .and_then(|_| file.write_all(&count.to_be_bytes()))
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .map_err(Error::io("write", &path))?;

        // The trailer is the SHA-1 of everything before it, count included, so the file is
        // read back once. It contains compressed data only, a fraction of the committed bytes.
        let mut hash = Sha1::new();
        let mut buffer = vec![0; READ_CHUNK];
        loop {
            let read = file.read(&mut buffer).map_err(Error::io("read", &path))?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
        }
        let checksum: [u8; 20] = hash.finalize().into();
        file.write_all(&checksum)
            .map_err(Error::io("write", &path))?;

        let name = format!("pack-{}", crate::report::hex(&checksum));
        let index_temporary = self.temporary.with_extension("idx");
        let index = index_bytes(&mut self.entries, &checksum);
        fs::write(&index_temporary, index).map_err(Error::io("write", &index_temporary))?;
        // git looks for packs through their index, so the pack is moved first.
        let pack_path = self.dir.join(format!("{name}.pack"));
        fs::rename(&self.temporary, &pack_path).map_err(Error::io("replace", &pack_path))?;
        let index_path = self.dir.join(format!("{name}.idx"));
        fs::rename(&index_temporary, &index_path).map_err(Error::io("replace", &index_path))
    }
}

impl Drop for PackFile {
    /// Removes the temporary files of a pack that was not finished.
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_file(&self.temporary);
            let _ = fs::remove_file(self.temporary.with_extension("idx"));
        }
    }
}

/// Encodes a pack entry's header: the type and the size in 4 bits, then 7 bits per byte,
/// each byte but the last with its high bit set.
fn entry_header(kind: ObjectType, size: u64) -> Vec<u8> {
    let type_bits: u8 = match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Blob => 3,
        _ => 4,
    };
    let mut header = Vec::with_capacity(10);
    let mut byte = (type_bits << 4) | (size & 0x0f) as u8;
    let mut rest = size >> 4;
    while rest > 0 {
        header.push(byte | 0x80);
        byte = (rest & 0x7f) as u8;
        rest >>= 7;
    }
    header.push(byte);
    header
}

/// Builds a version 2 pack index: fan-out table, sorted ids, CRC-32s, 31-bit offsets with
/// a table of 64-bit offsets for objects past 2 GiB, then the pack's and its own checksum.
fn index_bytes(entries: &mut [(Oid, u64, u32)], pack_checksum: &[u8; 20]) -> Vec<u8> {
    entries.sort_by_key(|entry| entry.0);
    let mut index = Vec::with_capacity(1072 + entries.len() * 28);
    index.extend_from_slice(b"\xfftOc\0\0\0\x02");
    let mut fanout = [0u32; 256];
    for (id, _, _) in entries.iter() {
        fanout[id.as_bytes()[0] as usize] += 1;
    }
    let mut total = 0;
    for count in fanout {
        total += count;
        index.extend_from_slice(&total.to_be_bytes());
    }
    for (id, _, _) in entries.iter() {
        index.extend_from_slice(id.as_bytes());
    }
    for (_, _, crc) in entries.iter() {
        index.extend_from_slice(&crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for (_, offset, _) in entries.iter() {
        let small = match u32::try_from(*offset) {
            Ok(small) if small < 0x8000_0000 => small,
            _ => {
                large.push(*offset);
                0x8000_0000 | (large.len() as u32 - 1)
            }
        };
        index.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        index.extend_from_slice(&offset.to_be_bytes());
    }
    index.extend_from_slice(pack_checksum);
    let own: [u8; 20] = Sha1::digest(&index).into();
    index.extend_from_slice(&own);
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_matches_git_blob_id() {
        let encoded = encode(ObjectType::Blob, b"hello\n");
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            encoded.id.to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn entry_header_spans_bytes_for_large_sizes() {
        assert_eq!(entry_header(ObjectType::Blob, 15), vec![0x3f]);
        assert_eq!(entry_header(ObjectType::Blob, 16), vec![0xb0, 0x01]);
        assert_eq!(entry_header(ObjectType::Commit, 300), vec![0x9c, 0x12]);
    }
}
