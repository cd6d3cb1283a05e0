//! The record of alerts already ingested, in memory of a bounded size.
//!
//! An alert is known when its SHA-256 or its Wazuh alert id is in any incident's evidence or
//! was read earlier in the same run. The keys are the first 128 bits of a SHA-256, of the
//! alert or of its id. Two different alerts share one with a probability near 2^-128.
//!
//! Keys are kept by minute: a key of alert bytes by the minute of the alert's time, which
//! is in those bytes, and a key of a Wazuh alert id by the minute that the id names. When
//! more than [`RESIDENT_KEYS_MAX`] keys are in memory, the minutes used least recently are
//! written to a temporary file and read back when an alert of such a minute arrives. Wazuh
//! writes alerts in time order, and a file read twice repeats that order, so a minute is
//! seldom read back more than once.
//!
//! NOTE: one minute's keys stay in memory together, so memory stays within the bound while
//! no minute has more than about a quarter of [`RESIDENT_KEYS_MAX`] alerts (over a thousand
//! alerts a second). It also needs Wazuh's alert ids, because an id of another form names no
//! minute and stays in memory for the whole run.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Keys held in memory before the least recently used minutes are written out. About 30
/// bytes a key with the hash tables' free slots, so about 8 MB.
pub const RESIDENT_KEYS_MAX: usize = 1 << 18;

/// Bytes of one key in the temporary file.
const KEY_BYTES: usize = 16;

/// Alerts already ingested or read in this run.
pub struct KnownAlerts {
    minutes: HashMap<i64, Minute, BuildKeyHasher>,
    /// Keys of evidence records that name no alert time, always in memory. Only evidence
    /// attached by hand lacks one, so there are few.
    timeless: Keys,
    /// Keys in memory, in `minutes` and `timeless`.
    resident: usize,
    resident_max: usize,
    /// The count of keys in memory at which minutes are next written out. It is above the
    /// limit while the one minute in use contains more keys than the others could free.
    write_out_at: usize,
    spill: Option<File>,
    spill_len: u64,
    /// The directory of the temporary file; the system's temporary directory when `None`.
    spill_dir: Option<PathBuf>,
    /// A counter of lookups, for finding the minutes used least recently.
    uses: u64,
}

impl Default for KnownAlerts {
    fn default() -> Self {
        KnownAlerts::with_limit(RESIDENT_KEYS_MAX)
    }
}

/// The keys of one minute, or of the timeless records.
#[derive(Default)]
struct Keys {
    /// Keys of alert ids.
    ids: HashSet<u128, BuildKeyHasher>,
    /// Keys of alert bytes.
    hashes: HashSet<u128, BuildKeyHasher>,
}

impl Keys {
    fn len(&self) -> usize {
        self.ids.len() + self.hashes.len()
    }
}

/// One minute's keys and where they are.
#[derive(Default)]
struct Minute {
    /// Every key of the minute when `loaded`; otherwise the keys added since it was last
    /// written out, the rest being in `written`.
    keys: Keys,
    loaded: bool,
    /// The parts of the temporary file that hold the minute's keys.
    written: Vec<Written>,
    /// Whether `keys` contains keys that `written` lacks, or `written` has more than one part.
    changed: bool,
    last_use: u64,
}

/// The place of a minute's keys in the temporary file: its ids, then its hashes.
#[derive(Clone, Copy)]
struct Written {
    offset: u64,
    ids: usize,
    hashes: usize,
}

impl KnownAlerts {
    /// Returns an empty record that keeps at most about `resident_max` keys in memory.
    pub fn with_limit(resident_max: usize) -> KnownAlerts {
        KnownAlerts {
            minutes: HashMap::default(),
            timeless: Keys::default(),
            resident: 0,
            resident_max,
            write_out_at: resident_max,
            spill: None,
            spill_len: 0,
            spill_dir: None,
            uses: 0,
        }
    }

    /// Makes the temporary file in `dir`, such as the repository's git directory, which
    /// the ingest writes to anyway, in place of the system's temporary directory.
    pub fn spill_in(&mut self, dir: &Path) {
        self.spill_dir = Some(dir.to_path_buf());
    }

    /// Returns whether an alert of `time` is known; records it as known when it is not. An
    /// alert with an id is known by its id, and one without by its bytes.
    pub fn check_and_insert(&mut self, key: AlertKey, time: DateTime<Utc>) -> Result<bool> {
        let (id, id_minute) = match key {
            AlertKey::Id { key, minute } => (key, minute),
            AlertKey::Bytes { sha256 } => {
                let hash = prefix(&sha256);
                if self.timeless.hashes.contains(&hash) {
                    return Ok(true);
                }
                let minute = minute_of(time);
                if !self.minute_keys(minute)?.hashes.insert(hash) {
                    return Ok(true);
                }
                return self.added(minute, 1).map(|()| false);
            }
        };
        let Some(id_minute) = id_minute else {
            // An id that names no time is kept in memory for the whole run.
            let new = self.timeless.ids.insert(id);
            self.resident += usize::from(new);
            return Ok(!new);
        };
        if !self.minute_keys(id_minute)?.ids.insert(id) {
            return Ok(true);
        }
        self.added(id_minute, 1).map(|()| false)
    }

    /// Records a stored alert by the SHA-256 `hex` of its bytes, when the record lists it,
    /// and by its id, under the minute of its `time` when the record names one.
    pub fn insert_stored(
        &mut self,
        hex: Option<&str>,
        alert_id: Option<&str>,
        time: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let hash = hex.and_then(decode_sha256).map(|bytes| prefix(&bytes));
        let id = alert_id
            .filter(|id| !id.is_empty())
            .map(|id| (id_key(id), id_minute(id)));
        let before = self.timeless.len();
        if time.is_none() {
            self.timeless.hashes.extend(hash);
        }
        if let Some((id, None)) = id {
            self.timeless.ids.insert(id);
        }
        self.resident += self.timeless.len() - before;
        // A minute is not read back here. Stored alerts come incident by incident, each over
        // its own span of time, so reading minutes back would read the file once per
        // incident. Added keys wait in memory and are written beside the minute's other parts.
        if let (Some(hash), Some(time)) = (hash, time) {
            self.add_stored(minute_of(time), |keys| keys.hashes.insert(hash))?;
        }
        if let Some((id, Some(minute))) = id {
            self.add_stored(minute, |keys| keys.ids.insert(id))?;
        }
        Ok(())
    }

    /// Adds a stored key to `minute` with `insert`, which returns whether it was new.
    fn add_stored(&mut self, minute: i64, insert: impl FnOnce(&mut Keys) -> bool) -> Result<()> {
        let entry = self.touch(minute);
        let new = insert(&mut entry.keys);
        self.added(minute, usize::from(new))
    }

    /// Returns `minute`, added when it is new, and marks it used.
    fn touch(&mut self, minute: i64) -> &mut Minute {
        self.uses += 1;
        let entry = self
            .minutes
            .entry(minute)
            .or_insert_with(Minute::first_seen);
        entry.last_use = self.uses;
        entry
    }

    /// Returns the keys of `minute`, read back from the temporary file if they were written
    /// out, and marks the minute used.
    fn minute_keys(&mut self, minute: i64) -> Result<&mut Keys> {
        if !self.touch(minute).loaded {
            self.read_back(minute)?;
        }
        Ok(&mut self
            .minutes
            .get_mut(&minute)
            .expect("the minute was just added")
            .keys)
    }

    /// Reads the keys of `minute` back from the temporary file, beside the keys added since
    /// it was written out.
    fn read_back(&mut self, minute: i64) -> Result<()> {
        let entry = self.minutes.get_mut(&minute).expect("a minute written out");
        let spill = self.spill.as_mut().expect("written keys have a file");
        let before = entry.keys.len();
        for written in &entry.written {
            read_keys(spill, *written, &mut entry.keys)
                .map_err(Error::io("read", spill_place(self.spill_dir.as_deref())))?;
        }
        entry.loaded = true;
        entry.changed = before > 0 || entry.written.len() > 1;
        self.resident += entry.keys.len() - before;
        self.limit_memory(minute)
    }

    /// Counts `count` keys added to `minute`.
    fn added(&mut self, minute: i64, count: usize) -> Result<()> {
        if count > 0 {
            if let Some(entry) = self.minutes.get_mut(&minute) {
                entry.changed = true;
            }
        }
        self.resident += count;
        self.limit_memory(minute)
    }

    /// Writes out the minutes used least recently when memory has too many keys.
    fn limit_memory(&mut self, current: i64) -> Result<()> {
        if self.resident > self.write_out_at {
            self.write_out(current)?;
            self.write_out_at = self.resident_max.max(self.resident + self.resident_max / 4);
        }
        Ok(())
    }

    /// Writes minutes other than `current` to the temporary file, least recently used first,
    /// until memory has three quarters of the limit.
    fn write_out(&mut self, current: i64) -> Result<()> {
        let mut candidates: Vec<(u64, i64)> = self
            .minutes
            .iter()
            .filter(|(minute, entry)| entry.keys.len() > 0 && **minute != current)
            .map(|(minute, entry)| (entry.last_use, *minute))
            .collect();
        candidates.sort_unstable();
        let target = self.resident_max / 4 * 3;
        let mut bytes = Vec::new();
        for (_, minute) in candidates {
            if self.resident <= target {
                break;
            }
            let entry = self.minutes.get_mut(&minute).expect("a listed minute");
            if entry.changed {
                let written = Written {
                    offset: self.spill_len + bytes.len() as u64,
                    ids: entry.keys.ids.len(),
                    hashes: entry.keys.hashes.len(),
                };
                for key in entry.keys.ids.iter().chain(&entry.keys.hashes) {
                    bytes.extend_from_slice(&key.to_le_bytes());
                }
                // A loaded minute has every key in memory, so its one new part replaces the others.
                if entry.loaded {
                    entry.written.clear();
                }
                entry.written.push(written);
            }
            self.resident -= entry.keys.len();
            entry.keys = Keys::default();
            entry.loaded = false;
            entry.changed = false;
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let place = spill_place(self.spill_dir.as_deref());
        let spill = match &mut self.spill {
            Some(spill) => spill,
            None => {
                let dir = place.parent().expect("the place is inside a directory");
                let file = tempfile::tempfile_in(dir)
                    .map_err(Error::io("create a temporary file in", dir))?;
                self.spill.insert(file)
            }
        };
        spill
            .seek(SeekFrom::Start(self.spill_len))
            .and_then(|_| spill.write_all(&bytes))
            .map_err(Error::io("write", place))?;
        self.spill_len += bytes.len() as u64;
        Ok(())
    }

    /// Returns the number of keys in memory.
    #[cfg(test)]
    fn resident(&self) -> usize {
        self.resident
    }
}

impl Minute {
    /// Returns a minute seen for the first time, with nothing in the temporary file.
    fn first_seen() -> Minute {
        Minute {
            loaded: true,
            changed: true,
            ..Minute::default()
        }
    }
}

/// Names the temporary file in errors. It has no path: it is removed as soon as it is made.
fn spill_place(dir: Option<&Path>) -> PathBuf {
    dir.map_or_else(std::env::temp_dir, Path::to_path_buf)
        .join("(casefile known alerts)")
}

/// Adds the keys of one part of the temporary file to `keys`.
fn read_keys(spill: &mut File, written: Written, keys: &mut Keys) -> std::io::Result<()> {
    let mut bytes = vec![0; (written.ids + written.hashes) * KEY_BYTES];
    spill.seek(SeekFrom::Start(written.offset))?;
    spill.read_exact(&mut bytes)?;
    let mut read = bytes
        .chunks_exact(KEY_BYTES)
        .map(|chunk| u128::from_le_bytes(chunk.try_into().expect("16 bytes")));
    keys.ids.extend(read.by_ref().take(written.ids));
    keys.hashes.extend(read);
    Ok(())
}

/// Returns the minute of `time`, counted from the Unix epoch.
fn minute_of(time: DateTime<Utc>) -> i64 {
    time.timestamp().div_euclid(60)
}

/// Hashes the keys of the record's tables, which need no SipHash. A SHA-256 prefix is
/// uniformly distributed, so its low 64 bits are its hash and no input can crowd one
/// bucket. A minute number is multiplied by 2^64 divided by the golden ratio, which spreads
/// consecutive minutes over the whole table, high bits included.
#[derive(Default, Clone, Copy)]
struct BuildKeyHasher;

impl std::hash::BuildHasher for BuildKeyHasher {
    type Hasher = KeyHasher;

    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

struct KeyHasher(u64);

/// 2^64 divided by the golden ratio.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*byte)).wrapping_mul(GOLDEN);
        }
    }

    fn write_u128(&mut self, value: u128) {
        self.0 = value as u64;
    }

    fn write_i64(&mut self, value: i64) {
        self.0 = (value as u64).wrapping_mul(GOLDEN);
    }
}

/// The key of one alert: of its id when it has one, with the minute that the id names, and
/// of its bytes otherwise. Alerts with the same bytes have the same id, so the bytes of an
/// alert with an id are not hashed.
#[derive(Debug, Clone, Copy)]
pub enum AlertKey {
    Id { key: u128, minute: Option<i64> },
    Bytes { sha256: [u8; 32] },
}

impl AlertKey {
    /// Computes the key of the alert `bytes` with the id `alert_id`.
    pub fn new(bytes: &[u8], alert_id: Option<&str>) -> AlertKey {
        match alert_id.filter(|id| !id.is_empty()) {
            Some(id) => AlertKey::Id {
                key: id_key(id),
                minute: id_minute(id),
            },
            None => AlertKey::Bytes {
                sha256: Sha256::digest(bytes).into(),
            },
        }
    }

    /// Returns the SHA-256 of the alert's bytes when it has no id.
    pub fn sha256(&self) -> Option<&[u8; 32]> {
        match self {
            AlertKey::Id { .. } => None,
            AlertKey::Bytes { sha256 } => Some(sha256),
        }
    }
}

/// Returns the minute that a Wazuh alert id names. Wazuh numbers alerts `<Unix seconds>.<n>`,
/// so the same id always falls in the same minute, even in two alerts whose times differ.
/// An id of another form names none.
fn id_minute(alert_id: &str) -> Option<i64> {
    let (seconds, number) = alert_id.split_once('.')?;
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    if !(9..=11).contains(&seconds.len()) || !digits(seconds) || !digits(number) {
        return None;
    }
    seconds
        .parse::<i64>()
        .ok()
        .map(|seconds| seconds.div_euclid(60))
}

/// Returns the first 128 bits of a SHA-256 digest.
fn prefix(sha256: &[u8; 32]) -> u128 {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&sha256[..16]);
    u128::from_be_bytes(bytes)
}

fn id_key(alert_id: &str) -> u128 {
    prefix(&Sha256::digest(alert_id.as_bytes()).into())
}

fn decode_sha256(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (index, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64, second: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_714_521_600 + minute * 60 + second, 0).unwrap()
    }

    /// Returns the bytes of alert `number`, whose SHA-256 is [`digest`] of the number.
    fn bytes(number: u64) -> [u8; 8] {
        number.to_le_bytes()
    }

    fn digest(number: u64) -> [u8; 32] {
        Sha256::digest(number.to_le_bytes()).into()
    }

    /// Returns the key of alert `number` at `time`, which has a Wazuh id of that time when
    /// the number is even.
    fn numbered(number: u64, time: DateTime<Utc>) -> AlertKey {
        let id = number
            .is_multiple_of(2)
            .then(|| format!("{}.{number}", time.timestamp()));
        AlertKey::new(&bytes(number), id.as_deref())
    }

    #[test]
    fn keys_written_out_are_still_known() {
        let mut known = KnownAlerts::with_limit(40);
        // 100 minutes of 10 alerts each: memory can hold 4 minutes.
        for minute in 0..100 {
            for second in 0..10 {
                let number = (minute * 10 + second) as u64;
                let new = known
                    .check_and_insert(numbered(number, at(minute, second)), at(minute, second))
                    .unwrap();
                assert!(!new, "alert {number} is new");
                assert!(
                    known.resident() <= 40,
                    "{} keys in memory",
                    known.resident()
                );
            }
        }
        // Read again in order, as a file ingested twice is.
        for minute in 0..100 {
            for second in 0..10 {
                let number = (minute * 10 + second) as u64;
                let repeated = known
                    .check_and_insert(numbered(number, at(minute, second)), at(minute, second))
                    .unwrap();
                assert!(repeated, "alert {number} is known");
            }
        }
        assert!(known.resident() <= 40);
        // New alerts in a minute that was written out and read back are new once.
        let late = bytes(5000);
        assert!(!known
            .check_and_insert(AlertKey::new(&late, None), at(3, 30))
            .unwrap());
        for minute in 50..100 {
            known
                .check_and_insert(AlertKey::new(&bytes(1), None), at(minute, 0))
                .unwrap();
        }
        assert!(known
            .check_and_insert(AlertKey::new(&late, None), at(3, 30))
            .unwrap());
    }

    #[test]
    fn id_or_bytes_make_an_alert_known() {
        let mut known = KnownAlerts::with_limit(4);
        known
            .insert_stored(Some(&hex(&digest(1))), Some("1714521601.7"), Some(at(0, 1)))
            .unwrap();
        for minute in 1..10 {
            known
                .check_and_insert(
                    AlertKey::new(&bytes(100 + minute as u64), None),
                    at(minute, 0),
                )
                .unwrap();
        }
        // The same id with other bytes, and the same bytes without the id.
        assert!(known
            .check_and_insert(AlertKey::new(&bytes(2), Some("1714521601.7")), at(0, 1))
            .unwrap());
        assert!(known
            .check_and_insert(AlertKey::new(&bytes(1), None), at(0, 1))
            .unwrap());
        assert!(!known
            .check_and_insert(AlertKey::new(&bytes(3), Some("1714521601.8")), at(0, 1))
            .unwrap());
    }

    #[test]
    fn stored_alerts_of_many_incidents_are_known() {
        let mut known = KnownAlerts::with_limit(40);
        // Five incidents, each with one alert a minute over the same 100 minutes.
        for incident in 0..5u64 {
            for minute in 0..100 {
                let number = incident * 1000 + minute as u64;
                let id = format!("{}.{number}", at(minute, 0).timestamp());
                known
                    .insert_stored(Some(&hex(&digest(number))), Some(&id), Some(at(minute, 0)))
                    .unwrap();
                assert!(
                    known.resident() <= 40,
                    "{} keys in memory",
                    known.resident()
                );
            }
        }
        for minute in 0..100 {
            for incident in 0..5u64 {
                let number = incident * 1000 + minute as u64;
                let id = format!("{}.{number}", at(minute, 0).timestamp());
                let time = at(minute, 0);
                assert!(known
                    .check_and_insert(AlertKey::new(&bytes(number), Some(&id)), time)
                    .unwrap());
                assert!(known
                    .check_and_insert(AlertKey::new(&bytes(number), None), time)
                    .unwrap());
            }
            let new = digest(500_000 + minute as u64);
            assert!(!known
                .check_and_insert(AlertKey::new(&new, None), at(minute, 0))
                .unwrap());
            assert!(
                known.resident() <= 40,
                "{} keys in memory",
                known.resident()
            );
        }
    }

    #[test]
    fn same_id_in_another_minute_is_known() {
        let mut known = KnownAlerts::with_limit(4);
        let id = Some("1714557600.2");
        assert!(!known
            .check_and_insert(AlertKey::new(&bytes(1), id), at(0, 0))
            .unwrap());
        // Push the first minute out to the temporary file.
        for minute in 10..20 {
            known
                .check_and_insert(AlertKey::new(&bytes(minute as u64), None), at(minute, 0))
                .unwrap();
        }
        assert!(known
            .check_and_insert(AlertKey::new(&bytes(2), id), at(5, 0))
            .unwrap());
        // Ids that name no time are kept for the whole run.
        let other = Some("alert-7");
        assert!(!known
            .check_and_insert(AlertKey::new(&bytes(3), other), at(0, 0))
            .unwrap());
        assert!(known
            .check_and_insert(AlertKey::new(&bytes(4), other), at(30, 0))
            .unwrap());
        // A stored id is found from an alert of any time.
        known
            .insert_stored(
                Some(&hex(&digest(5))),
                Some("1714557700.9"),
                Some(at(50, 0)),
            )
            .unwrap();
        assert!(known
            .check_and_insert(AlertKey::new(&bytes(6), Some("1714557700.9")), at(0, 0))
            .unwrap());
    }

    #[test]
    fn id_minute_only_for_wazuh_ids() {
        assert_eq!(id_minute("1714557600.2"), Some(1714557600 / 60));
        assert_eq!(id_minute("1714557600"), None);
        assert_eq!(id_minute("abc.2"), None);
        assert_eq!(id_minute("17.2"), None);
        assert_eq!(id_minute("1714557600.2x"), None);
    }

    #[test]
    fn timeless_records_match_any_minute() {
        let mut known = KnownAlerts::with_limit(4);
        known
            .insert_stored(Some(&hex(&digest(9))), None, None)
            .unwrap();
        assert!(known
            .check_and_insert(AlertKey::new(&bytes(9), None), at(42, 0))
            .unwrap());
        assert!(!known
            .check_and_insert(AlertKey::new(&bytes(10), None), at(42, 0))
            .unwrap());
    }

    fn hex(bytes: &[u8; 32]) -> String {
        bytes.iter().map(|byte| format!("{byte:02x}")).collect()
    }
}
