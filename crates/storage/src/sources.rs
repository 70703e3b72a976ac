//! What an import is recorded under in the catalog (SPEC 1.4): a source is identified by the
//! CONTENT of its files, never by their names. Two different files both called `trades.csv`
//! are two sources; the same bytes imported again (under any name) are the same source and
//! replace what it wrote before, so a re-import is idempotent.
//!
//! A job of several files (one continuous capture, several bitFlyer days de-duplicated
//! together) is one source whose key hashes the list of its file hashes. The catalog records
//! every file of a source, so `plan_files` can tell when a file is already stored:
//! - a stored source whose files are all part of the new job is superseded by it (its parts
//!   are replaced at commit, in the same transaction);
//! - a file stored as part of a source the new job does not cover is left out of the job
//!   (importing it again would store its rows twice).

use std::io::Read;
use std::path::Path;

use auction_trader_types::UnixNanos;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::StorageError;

/// One input file of a source: the path as the user gave it (for display) and its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFile {
    pub path: String,
    pub size_bytes: u64,
    /// `sha256:<64 hex digits>` of the file's bytes as stored on disk.
    pub content_hash: String,
}

impl SourceFile {
    /// Reads the file once to hash it.
    pub fn read(path: &Path) -> Result<Self, StorageError> {
        let mut file = std::fs::File::open(path).map_err(|error| StorageError::io(path, error))?;
        let mut buffer = vec![0_u8; 1 << 16];
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(|error| StorageError::io(path, error))?;
            if read == 0 {
                break;
            }
            size += read as u64;
            hasher.update(&buffer[..read]);
        }
        Ok(Self {
            path: path.display().to_string(),
            size_bytes: size,
            content_hash: format!("sha256:{}", hex(&hasher.finalize())),
        })
    }
}

/// What an import is recorded under: its key (the content identity), a display name and,
/// when the caller knows them, its files, size and import time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// Identity in the catalog: the content hash for file imports; the name itself for
    /// sources without files (a live stream, a test).
    pub key: String,
    /// For display: the path(s) as given.
    pub name: String,
    pub size_bytes: Option<u64>,
    pub content_hash: Option<String>,
    /// Supplied by the caller (the library has no wall clock); `None` when not given.
    pub imported_at: Option<UnixNanos>,
    /// The files, in import order (empty for sources without files).
    pub files: Vec<SourceFile>,
}

impl SourceInfo {
    /// A source without files, keyed by its name.
    pub fn named(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            key: name.clone(),
            name,
            size_bytes: None,
            content_hash: None,
            imported_at: None,
            files: Vec::new(),
        }
    }

    /// One file shown as `name`, keyed by its content.
    pub fn of_file(name: impl Into<String>, path: &Path) -> Result<Self, StorageError> {
        let mut info = Self::of_files(vec![SourceFile::read(path)?]);
        info.name = name.into();
        Ok(info)
    }

    /// The files of one job, keyed by their content (in order): one file's key is its own
    /// hash; several files' key hashes the list of their hashes.
    pub fn of_files(files: Vec<SourceFile>) -> Self {
        let key = match files.as_slice() {
            [only] => only.content_hash.clone(),
            _ => {
                let mut hasher = Sha256::new();
                for file in &files {
                    hasher.update(file.content_hash.as_bytes());
                    hasher.update(b"\n");
                }
                format!("sha256:{}", hex(&hasher.finalize()))
            }
        };
        let name = match files.as_slice() {
            [] => String::new(),
            [only] => only.path.clone(),
            [first, .., last] => format!("{}..{} ({} files)", first.path, last.path, files.len()),
        };
        Self {
            content_hash: Some(key.clone()),
            key,
            name,
            size_bytes: Some(files.iter().map(|file| file.size_bytes).sum()),
            imported_at: None,
            files,
        }
    }

    pub fn with_imported_at(mut self, imported_at: UnixNanos) -> Self {
        self.imported_at = Some(imported_at);
        self
    }
}

/// A stored source that shares at least one file with a job being planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSource {
    pub key: String,
    pub name: String,
    pub file_hashes: Vec<String>,
}

/// Which files of a job to import, given what the catalog already holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPlan {
    /// The files to import, in job order (empty: nothing new).
    pub files: Vec<SourceFile>,
    /// Files left out because they are stored as part of another source, with its name.
    pub already_stored: Vec<(SourceFile, String)>,
    /// Names of the stored sources the job replaces (all their files are in the job).
    pub supersedes: Vec<String>,
    /// The name of a stored source with exactly this content (the job was imported before).
    pub same_content: Option<String>,
}

/// Plans a job (see the module docs): files held by a stored source that the job does not
/// cover are left out, repeatedly, since leaving one out can uncover another source.
pub fn plan_files(job: &[SourceFile], stored: &[StoredSource]) -> ImportPlan {
    let mut kept: Vec<bool> = vec![true; job.len()];
    let mut holder: Vec<Option<usize>> = vec![None; job.len()];
    loop {
        let kept_hashes: Vec<&str> = job
            .iter()
            .zip(&kept)
            .filter(|(_, keep)| **keep)
            .map(|(file, _)| file.content_hash.as_str())
            .collect();
        let job_key = SourceInfo::of_files(
            job.iter()
                .zip(&kept)
                .filter(|(_, keep)| **keep)
                .map(|(file, _)| file.clone())
                .collect(),
        )
        .key;
        let covered = |source: &StoredSource| {
            source.key == job_key
                || source
                    .file_hashes
                    .iter()
                    .all(|hash| kept_hashes.contains(&hash.as_str()))
        };
        let mut changed = false;
        for (index, file) in job.iter().enumerate() {
            if !kept[index] {
                continue;
            }
            if let Some(position) = stored.iter().position(|source| {
                source.file_hashes.contains(&file.content_hash) && !covered(source)
            }) {
                kept[index] = false;
                holder[index] = Some(position);
                changed = true;
            }
        }
        if !changed {
            let supersedes = stored
                .iter()
                .filter(|source| source.key != job_key && covered(source))
                .filter(|source| {
                    source
                        .file_hashes
                        .iter()
                        .any(|hash| kept_hashes.contains(&hash.as_str()))
                })
                .map(|source| source.name.clone())
                .collect();
            break ImportPlan {
                files: job
                    .iter()
                    .zip(&kept)
                    .filter(|(_, keep)| **keep)
                    .map(|(file, _)| file.clone())
                    .collect(),
                already_stored: job
                    .iter()
                    .zip(&holder)
                    .filter_map(|(file, holder)| {
                        holder.map(|position| (file.clone(), stored[position].name.clone()))
                    })
                    .collect(),
                supersedes,
                same_content: stored
                    .iter()
                    .find(|source| source.key == job_key)
                    .map(|source| source.name.clone()),
            };
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        // Writing to a String cannot fail.
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, hash: &str) -> SourceFile {
        SourceFile {
            path: path.to_owned(),
            size_bytes: 1,
            content_hash: hash.to_owned(),
        }
    }

    fn stored(name: &str, hashes: &[&str]) -> StoredSource {
        let files = hashes.iter().map(|hash| file(name, hash)).collect();
        StoredSource {
            key: SourceInfo::of_files(files).key,
            name: name.to_owned(),
            file_hashes: hashes.iter().map(|hash| (*hash).to_owned()).collect(),
        }
    }

    #[test]
    fn sources_are_keyed_by_content_not_by_name() {
        let directory = tempfile::tempdir().unwrap();
        let (a, b) = (directory.path().join("a"), directory.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(a.join("trades.csv"), b"abc").unwrap();
        std::fs::write(b.join("trades.csv"), b"abd").unwrap();
        let first = SourceInfo::of_files(vec![SourceFile::read(&a.join("trades.csv")).unwrap()]);
        let second = SourceInfo::of_files(vec![SourceFile::read(&b.join("trades.csv")).unwrap()]);
        assert_ne!(first.key, second.key);
        assert!(first.name.ends_with("a/trades.csv"), "{}", first.name);
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assert_eq!(
            first.key,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let group = SourceInfo::of_files(vec![first.files[0].clone(), second.files[0].clone()]);
        assert_ne!(group.key, first.key);
        assert_eq!(group.size_bytes, Some(6));
    }

    #[test]
    fn a_file_stored_as_part_of_a_group_is_left_out() {
        let group = stored("days 1-3", &["d1", "d2", "d3"]);
        let plan = plan_files(&[file("day2", "d2")], std::slice::from_ref(&group));
        assert!(plan.files.is_empty());
        assert_eq!(plan.already_stored.len(), 1);
        assert_eq!(plan.already_stored[0].1, "days 1-3");
        // Overlapping job: only the new day is imported.
        let plan = plan_files(&[file("day3", "d3"), file("day4", "d4")], &[group]);
        assert_eq!(plan.files, vec![file("day4", "d4")]);
        assert!(plan.supersedes.is_empty());
    }

    #[test]
    fn a_group_supersedes_the_files_it_covers() {
        let single = stored("day2", &["d2"]);
        let other = stored("elsewhere", &["x"]);
        let job = [file("day1", "d1"), file("day2", "d2")];
        let plan = plan_files(&job, &[single, other]);
        assert_eq!(plan.files, job.to_vec());
        assert_eq!(plan.supersedes, vec!["day2".to_owned()]);
        assert!(plan.already_stored.is_empty());
    }

    #[test]
    fn the_same_content_again_is_a_plain_reimport() {
        let same = stored("days", &["d1", "d2"]);
        let job = [file("day1", "d1"), file("day2", "d2")];
        let plan = plan_files(&job, &[same]);
        assert_eq!(plan.files, job.to_vec());
        assert!(plan.supersedes.is_empty());
        assert_eq!(plan.same_content.as_deref(), Some("days"));
    }
}
