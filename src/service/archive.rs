//! ZIP archives of workflow JSON: read from uploads under limits (a small archive must
//! not expand into gigabytes), and written for downloads. Deflate only.

use super::types::{UploadFile, UploadRejected};
use std::io::{Cursor, Read, Write};

/// How much an upload may expand to.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Entries one archive may list.
    pub entries: usize,
    /// Uncompressed bytes of one file.
    pub file_bytes: u64,
    /// Uncompressed bytes of everything in one upload.
    pub total_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: 10_000,
            file_bytes: 32 << 20,
            total_bytes: 256 << 20,
        }
    }
}

/// A JSON file taken out of an upload, labelled for messages (`archive.zip/inner.json`).
#[derive(Debug)]
pub(super) struct Unpacked {
    pub file: String,
    pub bytes: Vec<u8>,
}

/// Takes the JSON files out of uploaded files, keeping one budget for all of them.
pub(super) struct Unpacker {
    limits: Limits,
    used: u64,
    pub files: Vec<Unpacked>,
    pub rejected: Vec<UploadRejected>,
}

impl Unpacker {
    pub fn new(limits: Limits) -> Self {
        Unpacker {
            limits,
            used: 0,
            files: Vec::new(),
            rejected: Vec::new(),
        }
    }

    fn reject(&mut self, file: impl Into<String>, reason: impl Into<String>) {
        self.rejected.push(UploadRejected {
            file: file.into(),
            reason: reason.into(),
        });
    }

    /// A JSON file as it is, or each entry of a ZIP.
    pub fn add(&mut self, upload: UploadFile) {
        if is_zip(&upload) {
            self.add_zip(&upload.name, &upload.bytes);
            return;
        }
        let size = upload.bytes.len() as u64;
        if let Err(reason) = self.take_budget(size) {
            self.reject(upload.name, reason);
            return;
        }
        self.files.push(Unpacked {
            file: upload.name,
            bytes: upload.bytes,
        });
    }

    /// Counts `size` bytes against the limits, or says which one it breaks.
    fn take_budget(&mut self, size: u64) -> Result<(), String> {
        if size > self.limits.file_bytes {
            return Err(format!(
                "{} uncompressed, more than the {} a file may hold",
                mib(size),
                mib(self.limits.file_bytes)
            ));
        }
        if self.used + size > self.limits.total_bytes {
            return Err(format!(
                "the upload expands beyond {}: not read",
                mib(self.limits.total_bytes)
            ));
        }
        self.used += size;
        Ok(())
    }

    fn add_zip(&mut self, archive_name: &str, bytes: &[u8]) {
        let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
            Ok(a) => a,
            Err(e) => return self.reject(archive_name, format!("not a readable ZIP archive: {e}")),
        };
        if archive.len() > self.limits.entries {
            return self.reject(
                archive_name,
                format!(
                    "lists {} entries, more than the {} read from one archive",
                    archive.len(),
                    self.limits.entries
                ),
            );
        }
        for i in 0..archive.len() {
            let mut entry = match archive.by_index(i) {
                Ok(entry) => entry,
                Err(e) => {
                    self.reject(
                        format!("{archive_name} entry {}", i + 1),
                        format!("unreadable: {e}"),
                    );
                    continue;
                }
            };
            let Ok(inner) = entry.name().map(|n| n.into_owned()) else {
                self.reject(
                    format!("{archive_name} entry {}", i + 1),
                    "its name is unreadable",
                );
                continue;
            };
            let label = format!("{archive_name}/{inner}");
            if entry.is_dir() || is_clutter(&inner) {
                continue;
            }
            let lower = inner.to_lowercase();
            let refusal = if entry.encrypted() {
                Some("encrypted entries are not read".to_owned())
            } else if lower.ends_with(".zip") {
                Some("an archive inside an archive is not read".to_owned())
            } else if !lower.ends_with(".json") {
                Some("not a .json file".to_owned())
            } else {
                self.take_budget(entry.size()).err()
            };
            if let Some(reason) = refusal {
                self.reject(label, reason);
                continue;
            }
            // The declared size may lie: read at most one byte past what it allows.
            let allowed = entry.size();
            let mut data = Vec::with_capacity(allowed.min(1 << 20) as usize);
            match (&mut entry).take(allowed + 1).read_to_end(&mut data) {
                Ok(_) if data.len() as u64 > allowed => {
                    self.reject(label, "holds more than its header declares: not read");
                }
                Ok(_) => self.files.push(Unpacked {
                    file: label,
                    bytes: data,
                }),
                Err(e) => self.reject(label, format!("cannot be read: {e}")),
            }
        }
    }
}

/// A ZIP by its name or its first bytes.
fn is_zip(upload: &UploadFile) -> bool {
    upload.name.to_lowercase().ends_with(".zip")
        || upload.bytes.starts_with(b"PK\x03\x04")
        || upload.bytes.starts_with(b"PK\x05\x06")
}

/// What archivers add besides the files: macOS resource forks and hidden files.
fn is_clutter(path: &str) -> bool {
    path.split('/')
        .any(|part| part == "__MACOSX" || part.starts_with('.'))
}

fn mib(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// A deflated ZIP of (path, contents).
pub(super) fn write_zip<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, contents) in files {
        zip.start_file(path, options)?;
        zip.write_all(contents)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: Vec<u8>) -> UploadFile {
        UploadFile {
            name: name.into(),
            bytes,
        }
    }

    fn reasons(u: &Unpacker) -> Vec<(String, String)> {
        u.rejected
            .iter()
            .map(|r| (r.file.clone(), r.reason.clone()))
            .collect()
    }

    #[test]
    fn reads_json_entries_and_rejects_the_rest_by_name() {
        let zip = write_zip([
            ("flows/a.json", b"{}".as_slice()),
            ("flows/readme.txt", b"hi".as_slice()),
            ("__MACOSX/flows/._a.json", b"junk".as_slice()),
            (".DS_Store", b"junk".as_slice()),
            ("inner.zip", b"PK".as_slice()),
            ("B.JSON", b"[]".as_slice()),
        ])
        .unwrap();
        let mut u = Unpacker::new(Limits::default());
        u.add(upload("all.zip", zip));
        u.add(upload("plain.json", b"{\"name\": 1}".to_vec()));
        let files: Vec<(&str, &[u8])> = u
            .files
            .iter()
            .map(|f| (f.file.as_str(), f.bytes.as_slice()))
            .collect();
        assert_eq!(
            files,
            [
                ("all.zip/flows/a.json", b"{}".as_slice()),
                ("all.zip/B.JSON", b"[]".as_slice()),
                ("plain.json", b"{\"name\": 1}".as_slice()),
            ]
        );
        assert_eq!(
            reasons(&u),
            [
                ("all.zip/flows/readme.txt".into(), "not a .json file".into()),
                (
                    "all.zip/inner.zip".into(),
                    "an archive inside an archive is not read".into()
                ),
            ]
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_without_expanding_it() {
        // 8 MiB of zeros deflates to a few KB.
        let zeros = vec![0u8; 8 << 20];
        let zip = write_zip([
            ("big.json", zeros.as_slice()),
            ("small.json", b"{}".as_slice()),
        ])
        .unwrap();
        assert!(zip.len() < 64 << 10, "{} bytes", zip.len());
        let limits = Limits {
            entries: 10,
            file_bytes: 1 << 20,
            total_bytes: 4 << 20,
        };
        let mut u = Unpacker::new(limits);
        u.add(upload("bomb.zip", zip.clone()));
        assert_eq!(
            reasons(&u),
            [(
                "bomb.zip/big.json".into(),
                "8 MiB uncompressed, more than the 1 MiB a file may hold".into()
            )]
        );
        assert_eq!(u.files.len(), 1);

        // The budget is shared by every file of one upload.
        let limits = Limits {
            file_bytes: 16 << 20,
            ..limits
        };
        let mut u = Unpacker::new(limits);
        u.add(upload("bomb.zip", zip));
        assert_eq!(
            u.rejected[0].reason,
            "the upload expands beyond 4 MiB: not read"
        );

        let many: Vec<(String, Vec<u8>)> = (0..11)
            .map(|i| (format!("{i}.json"), b"{}".to_vec()))
            .collect();
        let zip = write_zip(many.iter().map(|(p, b)| (p.as_str(), b.as_slice()))).unwrap();
        let mut u = Unpacker::new(limits);
        u.add(upload("many.zip", zip));
        assert_eq!(
            reasons(&u),
            [(
                "many.zip".into(),
                "lists 11 entries, more than the 10 read from one archive".into()
            )]
        );
    }

    #[test]
    fn a_broken_archive_is_rejected_by_name() {
        let mut u = Unpacker::new(Limits::default());
        u.add(upload("broken.zip", b"PK\x03\x04 not really".to_vec()));
        assert_eq!(u.rejected.len(), 1);
        assert_eq!(u.rejected[0].file, "broken.zip");
        assert!(
            u.rejected[0]
                .reason
                .starts_with("not a readable ZIP archive"),
            "{}",
            u.rejected[0].reason
        );
    }
}
