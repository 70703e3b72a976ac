//! Re-making a run from its manifest (SPEC 6: "a run can be re-made byte for byte"): the
//! manifest's effective config replayed over the same stored partitions by the same program,
//! into a new run directory, then compared file by file with the original. Refused before
//! anything runs when the program version differs, when the manifest was edited (its
//! identity no longer matches its config and inputs), or when an input partition is missing,
//! changed (its SHA-256 differs) or joined by another the replay would now read.

use std::path::{Path, PathBuf};

use auction_trader_storage::part_hashes::PartHash;

use crate::config::BacktestConfig;
use crate::error::BacktestError;
use crate::manifest::{RunManifest, program_version, run_inputs};
use crate::run_config::{RunObserver, open_store, run_on_store};
use crate::run_dir::write_run;

/// What to re-make and where.
#[derive(Debug, Clone)]
pub struct RerunRequest {
    /// A run directory, or the path of its `manifest.json`.
    pub source: PathBuf,
    /// Read the partitions from this data directory instead of the config's `data.dir`
    /// (the written config keeps the original value).
    pub data_dir: Option<PathBuf>,
    /// The new run directory (default: `<run dir>-rerun` beside the original).
    pub out: Option<PathBuf>,
}

/// A run re-made and compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RerunOutcome {
    pub original: PathBuf,
    pub rerun: PathBuf,
    /// Input partitions whose content hashes matched the manifest's.
    pub inputs_checked: usize,
    /// Files compared, every one byte-identical.
    pub files_identical: Vec<String>,
}

fn not_reproducible(message: String) -> BacktestError {
    BacktestError::NotReproducible(message)
}

fn read(path: &Path) -> Result<Vec<u8>, BacktestError> {
    std::fs::read(path).map_err(|source| BacktestError::Io {
        path: path.to_path_buf(),
        cause: source,
    })
}

/// The run directory and manifest of `source` (a run directory or its manifest.json).
pub fn read_manifest(source: &Path) -> Result<(PathBuf, RunManifest), BacktestError> {
    let (run_dir, path) = if source.is_dir() {
        (source.to_path_buf(), source.join("manifest.json"))
    } else {
        let parent = source
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (parent.to_path_buf(), source.to_path_buf())
    };
    let text = String::from_utf8(read(&path)?)
        .map_err(|_| BacktestError::Data(format!("{}: not UTF-8", path.display())))?;
    let manifest: RunManifest = serde_json::from_str(&text)
        .map_err(|error| BacktestError::Data(format!("{}: {error}", path.display())))?;
    Ok((run_dir, manifest))
}

/// Refuses a manifest of another program version or one whose identity does not match its
/// config and inputs (edited by hand).
pub fn check_manifest(manifest: &RunManifest) -> Result<(), BacktestError> {
    let program = program_version();
    if manifest.program != program {
        return Err(not_reproducible(format!(
            "the run was made by {}, this is {program}: byte-identical outputs need the same \
             program",
            manifest.program
        )));
    }
    let expected = RunManifest::new(manifest.config.clone(), manifest.inputs.clone());
    if expected.identity != manifest.identity {
        return Err(not_reproducible(format!(
            "the manifest's identity {} does not match its config and inputs ({}): it was \
             edited after the run",
            manifest.identity, expected.identity
        )));
    }
    Ok(())
}

fn describe(part: &PartHash) -> String {
    format!(
        "{} ({} {} {})",
        part.path, part.instrument, part.kind, part.date
    )
}

/// Refuses inputs that differ from the manifest's: a recorded partition missing or changed,
/// or another partition the replay would read now. `current` is what the replay reads now,
/// hashed.
pub fn check_inputs(
    recorded: &[PartHash],
    current: &[PartHash],
    data_dir: &Path,
) -> Result<(), BacktestError> {
    for part in recorded {
        match current.iter().find(|now| now.path == part.path) {
            None => {
                let present = data_dir.join(&part.path).is_file();
                return Err(not_reproducible(format!(
                    "input partition {} is {} in {}",
                    describe(part),
                    if present {
                        "no longer read by the replay"
                    } else {
                        "missing"
                    },
                    data_dir.display()
                )));
            }
            Some(now)
                if now.content_hash != part.content_hash || now.size_bytes != part.size_bytes =>
            {
                return Err(not_reproducible(format!(
                    "input partition {} changed: {} ({} bytes) now, the manifest has {} ({} bytes)",
                    describe(part),
                    now.content_hash,
                    now.size_bytes,
                    part.content_hash,
                    part.size_bytes
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = current
        .iter()
        .find(|now| !recorded.iter().any(|part| part.path == now.path))
    {
        return Err(not_reproducible(format!(
            "input partition {} is read by the replay now but is not in the manifest",
            describe(extra)
        )));
    }
    if recorded != current {
        return Err(not_reproducible(
            "the replay reads the manifest's partitions in another order".to_owned(),
        ));
    }
    Ok(())
}

fn file_names(dir: &Path) -> Result<Vec<String>, BacktestError> {
    let entries = std::fs::read_dir(dir).map_err(|source| BacktestError::Io {
        path: dir.to_path_buf(),
        cause: source,
    })?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| BacktestError::Io {
            path: dir.to_path_buf(),
            cause: source,
        })?;
        if entry.path().is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Compares the files of two run directories byte for byte; the names compared, or the
/// first difference (in name order) as an error.
pub fn compare_run_dirs(original: &Path, rerun: &Path) -> Result<Vec<String>, BacktestError> {
    let names = file_names(original)?;
    let rerun_names = file_names(rerun)?;
    if let Some(name) = names.iter().find(|name| !rerun_names.contains(name)) {
        return Err(not_reproducible(format!(
            "{name}: in {} but not written by the rerun",
            original.display()
        )));
    }
    if let Some(name) = rerun_names.iter().find(|name| !names.contains(name)) {
        return Err(not_reproducible(format!(
            "{name}: written by the rerun but not in {}",
            original.display()
        )));
    }
    for name in &names {
        let (before, after) = (read(&original.join(name))?, read(&rerun.join(name))?);
        if before != after {
            let offset = before
                .iter()
                .zip(&after)
                .position(|(a, b)| a != b)
                .unwrap_or(before.len().min(after.len()));
            return Err(not_reproducible(format!(
                "{name} differs from byte {offset} ({} bytes in {}, {} in {})",
                before.len(),
                original.display(),
                after.len(),
                rerun.display()
            )));
        }
    }
    Ok(names)
}

/// Re-makes the run of `request.source` and compares it with the original.
pub fn rerun(
    request: &RerunRequest,
    observer: &mut dyn RunObserver,
) -> Result<RerunOutcome, BacktestError> {
    let (original, manifest) = read_manifest(&request.source)?;
    check_manifest(&manifest)?;
    let config = BacktestConfig::parse(&manifest.config)?;
    config.validate()?;
    if let Ok(written) = std::fs::read_to_string(original.join("config.yaml"))
        && written != manifest.config
    {
        return Err(not_reproducible(format!(
            "{} differs from the manifest's config: it was edited after the run",
            original.join("config.yaml").display()
        )));
    }
    // The replay reads the stored partitions only: nothing is imported, and the data
    // directory may be given elsewhere.
    let mut replayed = config.clone();
    replayed.data.import.clear();
    if let Some(dir) = &request.data_dir {
        replayed.data.dir = dir.clone();
    }
    if !replayed.data.dir.is_dir() {
        return Err(not_reproducible(format!(
            "data directory {} is missing (give it with --data-dir)",
            replayed.data.dir.display()
        )));
    }
    if let Some(part) = manifest
        .inputs
        .iter()
        .find(|part| !replayed.data.dir.join(&part.path).is_file())
    {
        return Err(not_reproducible(format!(
            "input partition {} is missing from {}",
            describe(part),
            replayed.data.dir.display()
        )));
    }
    let store = open_store(&replayed)?;
    let current = run_inputs(&replayed, &store)?;
    check_inputs(&manifest.inputs, &current, &replayed.data.dir)?;
    let result = run_on_store(&replayed, &store, observer)?;
    let out = request.out.clone().unwrap_or_else(|| {
        let name = original.file_name().map_or_else(
            || "run".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        );
        original.with_file_name(format!("{name}-rerun"))
    });
    if out == original {
        return Err(BacktestError::Config(
            "the rerun's directory must not be the original's".to_owned(),
        ));
    }
    let remade = RunManifest::new(config.to_yaml()?, current);
    write_run(&out, &config, &result, Some(&remade))?;
    let files_identical = compare_run_dirs(&original, &out)?;
    Ok(RerunOutcome {
        original,
        rerun: out,
        inputs_checked: manifest.inputs.len(),
        files_identical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(path: &str, hash: &str) -> PartHash {
        PartHash {
            instrument: "v:S:perp".to_owned(),
            kind: "trades".to_owned(),
            date: "2022-01-03".to_owned(),
            path: path.to_owned(),
            size_bytes: 10,
            content_hash: hash.to_owned(),
        }
    }

    #[test]
    fn inputs_must_match_the_manifest_exactly() {
        let dir = Path::new("/nowhere");
        let recorded = [part("a.parquet", "sha256:1"), part("b.parquet", "sha256:2")];
        assert!(check_inputs(&recorded, &recorded, dir).is_ok());
        let changed = [part("a.parquet", "sha256:1"), part("b.parquet", "sha256:9")];
        let error = check_inputs(&recorded, &changed, dir)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("b.parquet") && error.contains("changed"),
            "{error}"
        );
        let error = check_inputs(&recorded, &recorded[..1], dir)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("b.parquet") && error.contains("missing"),
            "{error}"
        );
        let more = [
            recorded[0].clone(),
            recorded[1].clone(),
            part("c.parquet", "sha256:3"),
        ];
        let error = check_inputs(&recorded, &more, dir).unwrap_err().to_string();
        assert!(
            error.contains("c.parquet") && error.contains("not in the manifest"),
            "{error}"
        );
        let swapped = [recorded[1].clone(), recorded[0].clone()];
        assert!(check_inputs(&recorded, &swapped, dir).is_err());
    }

    #[test]
    fn an_edited_manifest_is_refused() {
        let manifest = RunManifest::new("a: 1\n".to_owned(), vec![part("a.parquet", "sha256:1")]);
        assert!(check_manifest(&manifest).is_ok());
        let mut edited = manifest.clone();
        edited.config = "a: 2\n".to_owned();
        let error = check_manifest(&edited).unwrap_err().to_string();
        assert!(error.contains("edited"), "{error}");
        let mut older = manifest;
        older.program = "auction-trader 0.0.0-other".to_owned();
        let error = check_manifest(&older).unwrap_err().to_string();
        assert!(error.contains("0.0.0-other"), "{error}");
    }

    #[test]
    fn run_directories_compare_byte_for_byte() {
        let root = tempfile::tempdir().unwrap();
        let (a, b) = (root.path().join("a"), root.path().join("b"));
        for dir in [&a, &b] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join("one.csv"), "x,y\n1,2\n").unwrap();
        }
        assert_eq!(compare_run_dirs(&a, &b).unwrap(), ["one.csv"]);
        std::fs::write(b.join("one.csv"), "x,y\n1,3\n").unwrap();
        let error = compare_run_dirs(&a, &b).unwrap_err().to_string();
        assert!(error.contains("one.csv differs from byte 6"), "{error}");
        std::fs::write(b.join("one.csv"), "x,y\n1,2\n").unwrap();
        std::fs::write(b.join("two.csv"), "").unwrap();
        let error = compare_run_dirs(&a, &b).unwrap_err().to_string();
        assert!(error.contains("two.csv"), "{error}");
    }
}
