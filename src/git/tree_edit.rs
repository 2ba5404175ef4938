//! Building a new tree from a base tree plus writes and deletes, in memory (a bare
//! repository has no working tree or index). Only the trees on changed paths are rebuilt,
//! and a blob whose id equals the current entry's is not written again, so one changed file
//! among 10,000 costs one blob and a tree per directory level.

use git2::{ObjectType, Oid, Repository, Tree};
use std::collections::BTreeMap;

const MODE_FILE: i32 = 0o100644;
const MODE_DIR: i32 = 0o040000;

/// The changes under one directory.
#[derive(Debug, Default)]
pub(crate) struct DirEdit<'a> {
    /// name -> Some(content) to write, None to delete.
    files: BTreeMap<&'a str, Option<&'a [u8]>>,
    dirs: BTreeMap<&'a str, DirEdit<'a>>,
}

/// Why a path given by the caller is refused.
pub(crate) type PathError = (String, &'static str);

/// Splits a repository path ("workflows/x.json") into its components, refusing anything
/// that is not a clean relative path.
pub(crate) fn split(path: &str) -> Result<Vec<&str>, &'static str> {
    if path.is_empty() {
        return Err("empty path");
    }
    if path.starts_with('/') {
        return Err("absolute path");
    }
    if path.contains('\0') {
        return Err("contains a NUL byte");
    }
    if path.contains('\\') {
        return Err("contains a backslash");
    }
    let parts: Vec<&str> = path.split('/').collect();
    for part in &parts {
        match *part {
            "" => return Err("empty path component"),
            "." | ".." => return Err("`.` or `..` component"),
            p if p.eq_ignore_ascii_case(".git") => return Err("`.git` component"),
            _ => {}
        }
    }
    Ok(parts)
}

impl<'a> DirEdit<'a> {
    /// Groups `writes` and `deletes` by directory. A path written twice, written and
    /// deleted, or used both as a file and as a directory is refused.
    pub(crate) fn plan(
        writes: &'a [(String, Vec<u8>)],
        deletes: &'a [String],
    ) -> Result<DirEdit<'a>, PathError> {
        let mut root = DirEdit::default();
        let items = writes
            .iter()
            .map(|(p, b)| (p.as_str(), Some(b.as_slice())))
            .chain(deletes.iter().map(|p| (p.as_str(), None)));
        for (path, content) in items {
            let parts = split(path).map_err(|r| (path.to_owned(), r))?;
            root.add(&parts, content)
                .map_err(|r| (path.to_owned(), r))?;
        }
        Ok(root)
    }

    fn add(&mut self, parts: &[&'a str], content: Option<&'a [u8]>) -> Result<(), &'static str> {
        match parts {
            [] => Err("empty path"),
            [name] => {
                if self.dirs.contains_key(name) {
                    return Err("used both as a file and as a directory in one change");
                }
                if self.files.insert(name, content).is_some() {
                    return Err("named more than once in one change");
                }
                Ok(())
            }
            [dir, rest @ ..] => {
                if self.files.contains_key(dir) {
                    return Err("used both as a file and as a directory in one change");
                }
                self.dirs.entry(dir).or_default().add(rest, content)
            }
        }
    }

    /// Applies the edit to `base` (None = empty) and returns the new tree's id, or None
    /// when the result is empty. Returns `base`'s own id when nothing changed, without
    /// writing anything.
    pub(crate) fn apply(
        &self,
        repo: &Repository,
        base: Option<&Tree<'_>>,
    ) -> Result<Option<Oid>, git2::Error> {
        let mut builder = repo.treebuilder(base)?;
        let mut changed = false;

        for (name, sub) in &self.dirs {
            let existing = builder.get(name)?.map(|e| (e.id(), e.kind()));
            let (sub_base, old_id) = match existing {
                Some((id, Some(ObjectType::Tree))) => (Some(repo.find_tree(id)?), Some(id)),
                Some(_) => (None, None), // a file in the way: replaced when something is written
                None => (None, None),
            };
            match sub.apply(repo, sub_base.as_ref())? {
                Some(id) if Some(id) != old_id => {
                    builder.insert(name, id, MODE_DIR)?;
                    changed = true;
                }
                Some(_) => {}
                None if old_id.is_some() => {
                    builder.remove(name)?;
                    changed = true;
                }
                None => {}
            }
        }

        for (name, content) in &self.files {
            let existing = builder.get(name)?.map(|e| (e.id(), e.filemode()));
            match content {
                Some(bytes) => {
                    let id = Oid::hash_object(ObjectType::Blob, bytes)?;
                    if existing == Some((id, MODE_FILE)) {
                        continue;
                    }
                    let written = repo.blob(bytes)?;
                    builder.insert(name, written, MODE_FILE)?;
                    changed = true;
                }
                None => {
                    if existing.is_some() {
                        builder.remove(name)?;
                        changed = true;
                    }
                }
            }
        }

        if !changed {
            return Ok(base.map(|t| t.id()));
        }
        if builder.is_empty() {
            return Ok(None);
        }
        builder.write().map(Some)
    }
}
