//! Writing the new objects of one large commit as a single pack file and its index, without
//! deltas, so that a commit of thousands of files costs a few file operations instead of a
//! few per object.
//!
//! The formats are git's pack version 2 and pack index version 2, as described in git's
//! `Documentation/gitformat-pack.txt`.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::Mutex;

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::{ObjectType, Oid};
use rayon::prelude::*;
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
pub fn encode(kind: ObjectType, data: &[u8]) -> Result<Encoded> {
    let mut encoder = ObjectEncoder::new(kind, data.len() as u64);
    encoder.update(data);
    encoder.finish()
}

/// Hashes and compresses a file as a blob, reading it in chunks so that only the compressed
/// bytes are held in memory. Returns the file's metadata too.
pub fn encode_file(path: &Path) -> Result<(Encoded, fs::Metadata)> {
    let (mut file, metadata) = open_with_metadata(path)?;
    let size = metadata.len();
    let mut encoder = ObjectEncoder::new(ObjectType::Blob, size);
    let read = read_chunks(&mut file, path, size, |chunk| encoder.update(chunk))?;
    if read != size {
        return Err(Error::invalid(format!(
            "`{}` changed size while it was being committed",
            path.display()
        )));
    }
    Ok((encoder.finish()?, metadata))
}

/// Opens the file at `path` and reads its metadata.
fn open_with_metadata(path: &Path) -> Result<(File, fs::Metadata)> {
    let file = File::open(path).map_err(Error::io("open", path))?;
    let metadata = file.metadata().map_err(Error::io("read", path))?;
    Ok((file, metadata))
}

/// Hands the rest of `file` to `each` in chunks of at most [`READ_CHUNK`] bytes, with a
/// buffer sized for a file of `size` bytes, and returns the number of bytes read.
fn read_chunks(
    file: &mut File,
    path: &Path,
    size: u64,
    mut each: impl FnMut(&[u8]),
) -> Result<u64> {
    let mut buffer = vec![0; READ_CHUNK.min(size as usize + 1)];
    let mut read = 0u64;
    loop {
        let count = file.read(&mut buffer).map_err(Error::io("read", path))?;
        if count == 0 {
            return Ok(read);
        }
        read += count as u64;
        each(&buffer[..count]);
    }
}

/// Returns a SHA-1 that has hashed the header git puts before an object's data.
fn object_hasher(kind: ObjectType, size: u64) -> Sha1 {
    let mut hash = Sha1::new();
    hash.update(format!("{} {size}\0", kind.str()).as_bytes());
    hash
}

/// The object id (SHA-1 of `<type> <size>\0` and the data) and the zlib stream of an object.
struct ObjectEncoder {
    kind: ObjectType,
    size: u64,
    hash: Sha1,
    zlib: Compress,
    compressed: Vec<u8>,
    /// The first error of the compressor, which only a misused compressor returns.
    failed: Option<flate2::CompressError>,
}

/// Compresses all of `data` into `output` with `flush`, growing `output` as needed. With
/// `Finish` it ends the stream.
fn deflate_into(
    zlib: &mut Compress,
    mut data: &[u8],
    output: &mut Vec<u8>,
    flush: FlushCompress,
) -> std::result::Result<(), flate2::CompressError> {
    loop {
        if output.len() == output.capacity() {
            output.reserve(output.capacity().max(4096));
        }
        let before = zlib.total_in();
        let status = zlib.compress_vec(data, output, flush)?;
        data = &data[(zlib.total_in() - before) as usize..];
        // Output room left over means the compressor took and flushed all it could.
        let room_left = output.len() < output.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            _ if flush != FlushCompress::Finish && data.is_empty() && room_left => return Ok(()),
            _ => {}
        }
    }
}

thread_local! {
    /// Each thread's zlib compressor for whole objects, reset for every object. On 27,000
    /// record-sized objects, a new compressor per object took about a third more time.
    static OBJECT_COMPRESSOR: std::cell::RefCell<Option<Compress>> =
        const { std::cell::RefCell::new(None) };
}

impl ObjectEncoder {
    fn new(kind: ObjectType, size: u64) -> Self {
        let hash = object_hasher(kind, size);
        // With the zlib-rs backend, level 2 packed the 500 MB of evidence of a bench ingest
        // (benches/ingest) into 62 MB, as fast as level 1, whose quick strategy gave 91 MB.
        let mut zlib = OBJECT_COMPRESSOR
            .with_borrow_mut(Option::take)
            .unwrap_or_else(|| Compress::new(Compression::new(ZLIB_LEVEL), true));
        zlib.reset();
        ObjectEncoder {
            kind,
            size,
            hash,
            zlib,
            // Alerts compress about 8:1, so a sixteenth of the size is a small first
            // reservation.
            compressed: Vec::with_capacity(size as usize / 16 + 64),
            failed: None,
        }
    }

    fn update(&mut self, data: &[u8]) {
        self.hash.update(data);
        self.deflate(data, FlushCompress::None);
    }

    fn deflate(&mut self, data: &[u8], flush: FlushCompress) {
        if self.failed.is_none() {
            let deflated = deflate_into(&mut self.zlib, data, &mut self.compressed, flush);
            self.failed = deflated.err();
        }
    }

    fn finish(mut self) -> Result<Encoded> {
        self.deflate(&[], FlushCompress::Finish);
        if let Some(error) = self.failed {
            return Err(Error::invalid(format!(
                "internal error: failed to compress a git object: {error}"
            )));
        }
        let id = Oid::from_bytes(&self.hash.finalize()).expect("a SHA-1 digest is 20 bytes");
        OBJECT_COMPRESSOR.with_borrow_mut(|slot| {
            if slot.is_none() {
                *slot = Some(self.zlib);
            }
        });
        Ok(Encoded {
            id,
            kind: self.kind,
            size: self.size,
            compressed: self.compressed,
        })
    }
}

/// The zlib header that starts every spooled stream: deflate with a 32 KiB window and no
/// preset dictionary. Inflaters ignore its level bits.
const ZLIB_HEADER: [u8; 2] = [0x78, 0x01];

/// A final, empty deflate block with fixed codes, which ends a spooled stream.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// Compressed streams of files written piece by piece, collected in one unlinked temporary
/// file, so that a large file is compressed while it is written instead of at the commit.
///
/// Each piece is compressed on its own as raw deflate blocks ended by a sync flush, as pigz
/// does, so pieces compress on any thread and no compressor is kept per file. The pieces of
/// a file joined, with a zlib header, a final block and the Adler-32 of the whole file, are
/// its zlib stream.
pub struct DeflateSpool {
    file: File,
    /// The spool's name in errors. It has no path: it is removed as soon as it is made.
    place: PathBuf,
    len: u64,
    streams: HashMap<PathBuf, Deflated>,
}

/// The compressed pieces of one file in the spool.
struct Deflated {
    size: u64,
    adler32: u32,
    /// Offset and length of each piece in the spool, in file order.
    pieces: Vec<(u64, usize)>,
}

/// Bytes of a file compressed on their own by [`deflate_piece`].
pub struct DeflatedPiece {
    size: u64,
    adler32: u32,
    compressed: Vec<u8>,
}

thread_local! {
    /// Each thread's raw deflate compressor, reset for every piece.
    static COMPRESSOR: std::cell::RefCell<Option<flate2::Compress>> =
        const { std::cell::RefCell::new(None) };
}

/// Compresses `bytes` as raw deflate blocks that end with a sync flush, for a
/// [`DeflateSpool`].
pub fn deflate_piece(bytes: &[u8]) -> Result<DeflatedPiece> {
    // Deflate's worst case is a few bytes per 16 KiB block over the input's size.
    let mut compressed = Vec::with_capacity(bytes.len() + bytes.len() / 1000 + 64);
    COMPRESSOR.with_borrow_mut(|compressor| {
        let compressor = compressor
            .get_or_insert_with(|| flate2::Compress::new(Compression::new(ZLIB_LEVEL), false));
        compressor.reset();
        deflate_into(compressor, bytes, &mut compressed, FlushCompress::Sync)
            .map_err(|error| Error::invalid(format!("failed to compress evidence: {error}")))
    })?;
    Ok(DeflatedPiece {
        size: bytes.len() as u64,
        adler32: zlib_rs::adler32::adler32(1, bytes),
        compressed,
    })
}

impl DeflateSpool {
    /// Creates the spool as an unlinked temporary file in `dir`.
    pub fn new(dir: &Path) -> Result<DeflateSpool> {
        let file =
            tempfile::tempfile_in(dir).map_err(Error::io("create a temporary file in", dir))?;
        Ok(DeflateSpool {
            file,
            place: dir.join("(casefile compressed evidence)"),
            len: 0,
            streams: HashMap::new(),
        })
    }

    /// Appends `piece`, the next bytes of the file at `path`, to the spool.
    pub fn append(&mut self, path: &Path, piece: DeflatedPiece) -> Result<()> {
        let stream = match self.streams.get_mut(path) {
            Some(stream) => stream,
            None => self.streams.entry(path.to_path_buf()).or_insert(Deflated {
                size: 0,
                adler32: 1,
                pieces: Vec::new(),
            }),
        };
        if piece.size == 0 {
            return Ok(());
        }
        stream.adler32 =
            zlib_rs::adler32::adler32_combine(stream.adler32, piece.adler32, piece.size);
        stream.size += piece.size;
        self.file
            .write_all(&piece.compressed)
            .map_err(Error::io("write", &self.place))?;
        stream.pieces.push((self.len, piece.compressed.len()));
        self.len += piece.compressed.len() as u64;
        Ok(())
    }

    /// Ends writing. The streams are read back by [`encode_spooled`].
    pub fn finish(self) -> Spooled {
        Spooled {
            file: Mutex::new(self.file),
            place: self.place,
            streams: self.streams,
            ids: Mutex::new(SpooledIds::Unknown),
        }
    }
}

/// The finished spool, by absolute file path.
pub struct Spooled {
    file: Mutex<File>,
    place: PathBuf,
    streams: HashMap<PathBuf, Deflated>,
    ids: Mutex<SpooledIds>,
}

/// The blob id and metadata of each spooled file, when they were hashed ahead of the
/// commit, as [`Spooled::hash_files`] does.
enum SpooledIds {
    Unknown,
    Pending(Receiver<HashMap<PathBuf, (Oid, fs::Metadata)>>),
    Known(HashMap<PathBuf, (Oid, fs::Metadata)>),
}

/// A spooled file to hash: its path, and the size and Adler-32 of its stream.
pub type SpooledFile = (PathBuf, u64, u32);

impl Spooled {
    /// Returns every spooled file, for [`Spooled::hash_files`].
    pub fn files(&self) -> Vec<SpooledFile> {
        self.streams
            .iter()
            .map(|(path, stream)| (path.clone(), stream.size, stream.adler32))
            .collect()
    }

    /// Reads each file on all cores and returns its blob id and metadata, leaving out a
    /// file that no longer has its stream's size and Adler-32 or cannot be read.
    /// [`encode_spooled`] hashes a file left out again when it commits it.
    pub fn hash_files(files: Vec<SpooledFile>) -> HashMap<PathBuf, (Oid, fs::Metadata)> {
        files
            .into_par_iter()
            .filter_map(|(path, size, adler32)| {
                let found = hash_spooled_file(&path, size, adler32).ok().flatten()?;
                Some((path, found))
            })
            .collect()
    }

    /// Makes the commit take the files' blob ids from `receiver`, which gets the result of
    /// [`Spooled::hash_files`] from another thread, so that the files are hashed while the
    /// commit is prepared.
    pub fn expect_ids(&mut self, receiver: Receiver<HashMap<PathBuf, (Oid, fs::Metadata)>>) {
        self.ids = Mutex::new(SpooledIds::Pending(receiver));
    }

    /// Waits for the blob ids from [`Spooled::expect_ids`], if any. Without them, or when
    /// the thread hashing them stopped, [`encode_spooled`] hashes each file itself.
    ///
    /// Called before the files are committed on all cores, because the thread hashing them
    /// uses those cores too: waiting for it on one of them could leave none to hash.
    pub fn wait_for_ids(&self) {
        let mut ids = self.ids.lock().unwrap_or_else(|poison| poison.into_inner());
        if let SpooledIds::Pending(receiver) = &*ids {
            *ids = match receiver.recv() {
                Ok(known) => SpooledIds::Known(known),
                Err(_) => SpooledIds::Unknown,
            };
        }
    }

    /// Returns the blob id and metadata of the file at `path`, once known.
    fn known_id(&self, path: &Path) -> Option<(Oid, fs::Metadata)> {
        let ids = self.ids.lock().unwrap_or_else(|poison| poison.into_inner());
        match &*ids {
            SpooledIds::Known(known) => known.get(path).cloned(),
            _ => None,
        }
    }
}

/// Hashes the file at `path` as a blob of `size` bytes and returns its id and metadata, or
/// `None` when the file no longer has that size and Adler-32.
fn hash_spooled_file(path: &Path, size: u64, adler32: u32) -> Result<Option<(Oid, fs::Metadata)>> {
    let (mut file, metadata) = open_with_metadata(path)?;
    if metadata.len() != size {
        return Ok(None);
    }
    let mut hash = object_hasher(ObjectType::Blob, size);
    let mut read_adler32 = 1;
    read_chunks(&mut file, path, size, |chunk| {
        hash.update(chunk);
        read_adler32 = zlib_rs::adler32::adler32(read_adler32, chunk);
    })?;
    if read_adler32 != adler32 {
        return Ok(None);
    }
    let id = Oid::from_bytes(&hash.finalize()).expect("a SHA-1 digest is 20 bytes");
    Ok(Some((id, metadata)))
}

impl std::fmt::Debug for Spooled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spooled({} files)", self.streams.len())
    }
}

/// Takes the zlib stream of the file at `path` from `spooled`, with its blob id hashed
/// ahead by [`Spooled::hash_files`] or hashed now. Returns `None` when the spool has no
/// stream of the file or when the file no longer has the spooled size and Adler-32, so that
/// the caller compresses it instead.
pub fn encode_spooled(path: &Path, spooled: &Spooled) -> Result<Option<(Encoded, fs::Metadata)>> {
    let Some(stream) = spooled.streams.get(path) else {
        return Ok(None);
    };
    let known = match spooled.known_id(path) {
        Some(known) => Some(known),
        None => hash_spooled_file(path, stream.size, stream.adler32)?,
    };
    let Some((id, metadata)) = known else {
        return Ok(None);
    };

    let length: usize = stream.pieces.iter().map(|(_, length)| length).sum();
    let mut compressed = Vec::with_capacity(length + 8);
    compressed.extend_from_slice(&ZLIB_HEADER);
    {
        let mut spool = spooled
            .file
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        for (offset, length) in &stream.pieces {
            let start = compressed.len();
            compressed.resize(start + length, 0);
            spool
                .seek(SeekFrom::Start(*offset))
                .and_then(|_| spool.read_exact(&mut compressed[start..]))
                .map_err(Error::io("read", &spooled.place))?;
        }
    }
    compressed.extend_from_slice(&FINAL_BLOCK);
    compressed.extend_from_slice(&stream.adler32.to_be_bytes());
    let encoded = Encoded {
        id,
        kind: ObjectType::Blob,
        size: stream.size,
        compressed,
    };
    Ok(Some((encoded, metadata)))
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
    /// Returns the paths of the pack and its index when this call created them, and `None`
    /// when a pack of the same objects was already there.
    pub fn finish(mut self) -> Result<Option<[PathBuf; 2]>> {
        let created = self.complete()?;
        self.finished = true;
        Ok(created)
    }

    fn complete(&mut self) -> Result<Option<[PathBuf; 2]>> {
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
        read_chunks(file, &path, READ_CHUNK as u64, |chunk| hash.update(chunk))?;
        let checksum: [u8; 20] = hash.finalize().into();
        file.write_all(&checksum)
            .map_err(Error::io("write", &path))?;

        let name = format!("pack-{}", crate::report::hex(&checksum));
        let index_temporary = self.temporary.with_extension("idx");
        let index = index_bytes(&mut self.entries, &checksum);
        fs::write(&index_temporary, index).map_err(Error::io("write", &index_temporary))?;
        // git looks for packs through their index, so the pack is moved first.
        let pack_path = self.dir.join(format!("{name}.pack"));
        let index_path = self.dir.join(format!("{name}.idx"));
        let existed = pack_path.exists();
        fs::rename(&self.temporary, &pack_path).map_err(Error::io("replace", &pack_path))?;
        fs::rename(&index_temporary, &index_path).map_err(Error::io("replace", &index_path))?;
        Ok((!existed).then_some([pack_path, index_path]))
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

    /// Returns the bytes that a zlib stream inflates to.
    fn inflate(stream: &[u8]) -> Vec<u8> {
        let mut output = Vec::new();
        flate2::read::ZlibDecoder::new(stream)
            .read_to_end(&mut output)
            .unwrap();
        output
    }

    #[test]
    fn spooled_pieces_join_into_one_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.json");
        let lines: Vec<String> = (0..20_000)
            .map(|n| format!("{{\"id\":\"1714521601.{n}\",\"rule\":{{\"id\":\"5710\"}}}}\n"))
            .collect();
        let content = lines.concat().into_bytes();
        fs::write(&path, &content).unwrap();
        let mut spool = DeflateSpool::new(dir.path()).unwrap();
        // Pieces of uneven sizes, one of them empty, as flushes give them.
        for piece in [
            &content[..1],
            &content[1..1],
            &content[1..70_000],
            &content[70_000..],
        ] {
            spool.append(&path, deflate_piece(piece).unwrap()).unwrap();
        }
        let spooled = spool.finish();
        let (encoded, metadata) = encode_spooled(&path, &spooled).unwrap().unwrap();
        assert_eq!(metadata.len(), content.len() as u64);
        assert_eq!(encoded.id, encode(ObjectType::Blob, &content).unwrap().id);
        assert_eq!(inflate(&encoded.compressed), content);

        // A file that changed after it was spooled is compressed again by the caller.
        let mut changed = content.clone();
        changed[10] = b'X';
        fs::write(&path, &changed).unwrap();
        assert!(encode_spooled(&path, &spooled).unwrap().is_none());
        assert!(encode_spooled(&dir.path().join("other.json"), &spooled)
            .unwrap()
            .is_none());
    }

    #[test]
    fn spooled_ids_hashed_ahead_match() {
        let dir = tempfile::tempdir().unwrap();
        let unchanged = dir.path().join("unchanged.json");
        let edited = dir.path().join("edited.json");
        let content = b"{\"id\":\"1714521601.1\"}\n".repeat(1000);
        let mut spool = DeflateSpool::new(dir.path()).unwrap();
        for path in [&unchanged, &edited] {
            fs::write(path, &content).unwrap();
            spool
                .append(path, deflate_piece(&content).unwrap())
                .unwrap();
        }
        let mut spooled = spool.finish();
        let files = spooled.files();
        // Edited after it was spooled: it is left out, and hashed again at the commit.
        fs::write(&edited, b"{}\n").unwrap();
        let ids = Spooled::hash_files(files);
        assert_eq!(ids.len(), 1);
        let expected = encode(ObjectType::Blob, &content).unwrap().id;
        assert_eq!(ids[&unchanged].0, expected);

        let (sender, receiver) = std::sync::mpsc::channel();
        spooled.expect_ids(receiver);
        sender.send(ids).unwrap();
        spooled.wait_for_ids();
        let (encoded, _) = encode_spooled(&unchanged, &spooled).unwrap().unwrap();
        assert_eq!(encoded.id, expected);
        assert_eq!(inflate(&encoded.compressed), content);
        assert!(encode_spooled(&edited, &spooled).unwrap().is_none());
    }

    #[test]
    fn spooled_ids_without_hasher() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.json");
        fs::write(&path, b"{}\n").unwrap();
        let mut spool = DeflateSpool::new(dir.path()).unwrap();
        spool
            .append(&path, deflate_piece(b"{}\n").unwrap())
            .unwrap();
        let mut spooled = spool.finish();
        let (sender, receiver) = std::sync::mpsc::channel();
        spooled.expect_ids(receiver);
        drop(sender);
        spooled.wait_for_ids();
        let (encoded, _) = encode_spooled(&path, &spooled).unwrap().unwrap();
        assert_eq!(encoded.id, encode(ObjectType::Blob, b"{}\n").unwrap().id);
    }

    #[test]
    fn spooled_empty_file_is_empty_blob() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.index");
        fs::write(&path, b"").unwrap();
        let mut spool = DeflateSpool::new(dir.path()).unwrap();
        spool.append(&path, deflate_piece(b"").unwrap()).unwrap();
        let spooled = spool.finish();
        let (encoded, _) = encode_spooled(&path, &spooled).unwrap().unwrap();
        // `git hash-object /dev/null`
        assert_eq!(
            encoded.id.to_string(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(inflate(&encoded.compressed), b"");
    }

    #[test]
    fn encode_matches_git_blob_id() {
        let encoded = encode(ObjectType::Blob, b"hello\n").unwrap();
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
