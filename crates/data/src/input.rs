//! Opening input files with transparent decompression (SPEC 1.2: `.gz` and `.zip` read
//! directly). A `.zip` may hold several members; each is visited in archive order. A `.gz`
//! may hold several members (concatenated gzip files); bytes after the last member that are
//! not gzip are an error that says so ("trailing garbage"), never silently dropped. An
//! empty file (or one that decompresses to nothing) is an error that says it is empty.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::GzDecoder;

use crate::DataError;

const READ_BUFFER_BYTES: usize = 1 << 18;

/// Compression of an input, judged by its first bytes (not its name, which users rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zip,
}

/// Detects the compression of a file from its magic bytes.
pub fn detect_compression(path: &Path) -> Result<Compression, DataError> {
    let mut file = File::open(path).map_err(|error| DataError::io(path, error))?;
    let mut magic = [0_u8; 4];
    let read = read_up_to(&mut file, &mut magic).map_err(|error| DataError::io(path, error))?;
    Ok(match &magic[..read] {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [b'P', b'K', 3, 4] => Compression::Zip,
        _ => Compression::None,
    })
}

fn read_up_to(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..])? {
            0 => break,
            count => filled += count,
        }
    }
    Ok(filled)
}

/// Calls `visit(name, reader)` for the decompressed content of `path`: once for a plain or
/// gzip file, once per member (directories skipped) for a zip archive. `name` is the file
/// name, or `archive.zip/member` for zip members. Stops at the first error `visit` returns.
pub fn for_each_input<F>(path: &Path, mut visit: F) -> Result<(), DataError>
where
    F: FnMut(&str, &mut dyn BufRead) -> Result<(), DataError>,
{
    let display_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    match detect_compression(path)? {
        Compression::None => {
            let file = File::open(path).map_err(|error| DataError::io(path, error))?;
            let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, file);
            refuse_empty(path, &mut reader, "the file is empty")?;
            visit(&display_name, &mut reader)
        }
        Compression::Gzip => {
            let file = File::open(path).map_err(|error| DataError::io(path, error))?;
            let decoder = GzipMembers::new(BufReader::with_capacity(READ_BUFFER_BYTES, file));
            let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, decoder);
            refuse_empty(path, &mut reader, "the file is empty after decompression")?;
            visit(&display_name, &mut reader)
        }
        Compression::Zip => {
            let file = File::open(path).map_err(|error| DataError::io(path, error))?;
            let mut archive =
                zip::ZipArchive::new(BufReader::new(file)).map_err(|error| DataError::Archive {
                    path: path.to_path_buf(),
                    message: error.to_string(),
                })?;
            for index in 0..archive.len() {
                let member = archive
                    .by_index(index)
                    .map_err(|error| DataError::Archive {
                        path: path.to_path_buf(),
                        message: error.to_string(),
                    })?;
                if member.is_dir() {
                    continue;
                }
                let inner_name = member
                    .name()
                    .map(|name| name.into_owned())
                    .unwrap_or_else(|_| format!("member-{index}"));
                let member_name = format!("{display_name}/{inner_name}");
                let mut reader = BufReader::with_capacity(READ_BUFFER_BYTES, member);
                visit(&member_name, &mut reader)?;
            }
            Ok(())
        }
    }
}

/// An input with no content at all is an error that says so (rather than "unrecognized
/// format" or a silent import of nothing).
fn refuse_empty(path: &Path, reader: &mut dyn BufRead, message: &str) -> Result<(), DataError> {
    let empty = reader
        .fill_buf()
        .map_err(|error| DataError::io(path, error))?
        .is_empty();
    if empty {
        return Err(DataError::InvalidInput {
            path: path.to_path_buf(),
            message: message.to_owned(),
        });
    }
    Ok(())
}

/// The decompressed content of every gzip member in turn. After a member ends, the next bytes
/// must start another member (gzip magic) or be the end of the file; anything else is
/// reported as trailing garbage.
struct GzipMembers<R: BufRead> {
    member: Option<GzDecoder<R>>,
}

impl<R: BufRead> GzipMembers<R> {
    fn new(reader: R) -> Self {
        Self {
            member: Some(GzDecoder::new(reader)),
        }
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let Some(member) = self.member.as_mut() else {
                return Ok(0);
            };
            let read = member.read(buffer)?;
            if read > 0 || buffer.is_empty() {
                return Ok(read);
            }
            // The member ended: what follows decides.
            let Some(member) = self.member.take() else {
                return Ok(0);
            };
            let mut rest = member.into_inner();
            let next = rest.fill_buf()?;
            if next.is_empty() {
                return Ok(0);
            }
            if !next.starts_with(&[0x1f, 0x8b]) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "trailing garbage after the gzip data (the bytes after the last complete \
                     gzip member are not gzip)",
                ));
            }
            self.member = Some(GzDecoder::new(rest));
        }
    }
}

/// Reads the whole decompressed content of `path` (all zip members concatenated) into memory.
/// For benchmarks and small files; imports stream instead.
pub fn read_all(path: &Path) -> Result<Vec<u8>, DataError> {
    let mut content = Vec::new();
    for_each_input(path, |_, reader| {
        reader
            .read_to_end(&mut content)
            .map(|_| ())
            .map_err(|error| DataError::io(path, error))
    })?;
    Ok(content)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression as Level;
    use flate2::write::GzEncoder;

    use super::*;

    #[test]
    fn reads_plain_gzip_and_zip_transparently() {
        let directory = tempfile::tempdir().unwrap();
        let plain = directory.path().join("plain.csv");
        std::fs::write(&plain, b"a,b\n1,2\n").unwrap();

        let gzip = directory.path().join("data.gz");
        let mut encoder = GzEncoder::new(Vec::new(), Level::default());
        encoder.write_all(b"a,b\n1,2\n").unwrap();
        std::fs::write(&gzip, encoder.finish().unwrap()).unwrap();

        let zipped = directory.path().join("data.zip");
        let mut writer = zip::ZipWriter::new(File::create(&zipped).unwrap());
        writer
            .start_file("inner.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(b"a,b\n1,2\n").unwrap();
        writer.finish().unwrap();

        for path in [&plain, &gzip, &zipped] {
            assert_eq!(read_all(path).unwrap(), b"a,b\n1,2\n", "{}", path.display());
        }
        assert_eq!(detect_compression(&zipped).unwrap(), Compression::Zip);
        let mut names = Vec::new();
        for_each_input(&zipped, |name, _| {
            names.push(name.to_owned());
            Ok(())
        })
        .unwrap();
        assert_eq!(names, ["data.zip/inner.csv"]);
    }

    fn gzip(content: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Level::default());
        encoder.write_all(content).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn concatenated_gzip_members_are_read_in_order() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("two.gz");
        let mut bytes = gzip(b"a,b\n");
        bytes.extend(gzip(b"1,2\n"));
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(read_all(&path).unwrap(), b"a,b\n1,2\n");
    }

    #[test]
    fn gzip_with_trailing_garbage_says_so() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("garbage.gz");
        let mut bytes = gzip(b"a,b\n1,2\n");
        bytes.extend_from_slice(b"this is not gzip");
        std::fs::write(&path, bytes).unwrap();
        let error = read_all(&path).unwrap_err().to_string();
        assert!(error.contains("trailing garbage"), "{error}");
    }

    #[test]
    fn an_empty_file_says_it_is_empty() {
        let directory = tempfile::tempdir().unwrap();
        let plain = directory.path().join("empty.csv");
        std::fs::write(&plain, b"").unwrap();
        let error = read_all(&plain).unwrap_err().to_string();
        assert!(error.contains("empty"), "{error}");
        let compressed = directory.path().join("empty.csv.gz");
        std::fs::write(&compressed, gzip(b"")).unwrap();
        let error = read_all(&compressed).unwrap_err().to_string();
        assert!(error.contains("empty after decompression"), "{error}");
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let error = read_all(Path::new("/nonexistent/file.gz")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/file.gz"));
    }
}
