//! Where spec and schema files come from: a directory given on the command line, `specs/` and
//! `schemas/` of the current directory, or the copies compiled into the binary, so an installed
//! `sn-conform` works from any directory.
//!
//! The copies are compiled into the binary's own small crate (`src/main.rs`), which hands them
//! over with [`use_built_in`], not into this library: editing a spec then rebuilds nothing
//! but `main.rs` (rustc tracks each embedded file), and a spec author running from a
//! checkout, where `specs/` is read from disk, pays no rebuild of the library.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use include_dir::Dir;

/// The copies compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct BuiltIn {
    pub specs: &'static Dir<'static>,
    pub schemas: &'static Dir<'static>,
}

static BUILT_IN_COPIES: OnceLock<BuiltIn> = OnceLock::new();

/// An empty directory: what a program that registered no copies falls back to.
static NONE: Dir<'static> = Dir::new("", &[]);

/// Registers the copies compiled into the binary (the first registration holds).
pub fn use_built_in(copies: BuiltIn) {
    let _ = BUILT_IN_COPIES.set(copies);
}

fn built_in_specs() -> &'static Dir<'static> {
    BUILT_IN_COPIES.get().map_or(&NONE, |b| b.specs)
}

fn built_in_schemas() -> &'static Dir<'static> {
    BUILT_IN_COPIES.get().map_or(&NONE, |b| b.schemas)
}

/// What marks a file read from the copies built into the binary.
pub const BUILT_IN: &str = " (built-in)";

/// `path:line` for messages, an editor's way: the path and line first, then ` (built-in)`
/// when the file is one of the built-in copies (its `display` carries the mark). Line 0 means
/// the whole file.
///
/// ```
/// use sn_conform::source::assets::location;
/// assert_eq!(location("specs/a.yaml (built-in)", 7), "specs/a.yaml:7 (built-in)");
/// assert_eq!(location("specs/a.yaml", 7), "specs/a.yaml:7");
/// assert_eq!(location("specs/a.yaml", 0), "specs/a.yaml");
/// ```
pub fn location(display: &str, line: usize) -> String {
    let (path, mark) = match display.strip_suffix(BUILT_IN) {
        Some(path) => (path, BUILT_IN),
        None => (display, ""),
    };
    if line == 0 {
        format!("{path}{mark}")
    } else {
        format!("{path}:{line}{mark}")
    }
}

/// One text file of a spec or schema directory.
#[derive(Debug, Clone)]
pub struct AssetFile {
    /// Path relative to its directory, with `/` separators: `awa_inbox_actions/accept.yaml`.
    pub relative: String,
    /// How messages name it: `specs/awa_inbox_actions/accept.yaml`.
    pub display: String,
    pub text: String,
}

/// The files of one directory, sorted by relative path.
#[derive(Debug, Clone)]
pub struct AssetDir {
    /// Where they came from, for messages: a path, or `built-in specs/`.
    pub origin: String,
    pub files: Vec<AssetFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not UTF-8 text (a byte that is not UTF-8 at column {column}); spec and schema files are text")]
    NotText {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error(
        "{path}:1: {bytes} bytes, more than the {MAX_FILE_BYTES} a spec or schema file may have"
    )]
    TooLarge { path: PathBuf, bytes: u64 },
}

/// The largest spec or schema file read (1 MiB, thirty times the largest the project has): a
/// runaway file is refused before it is read, not parsed for minutes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Spec files (`*.yaml`, `*.yml`): from `dir`, else `./specs`, else the built-in copy.
pub fn specs(dir: Option<&Path>) -> Result<AssetDir, AssetError> {
    load(dir, "specs", built_in_specs(), &["yaml", "yml"])
}

/// Schema files (`*.json`): from `dir`, else `./schemas`, else the built-in copy.
pub fn schemas(dir: Option<&Path>) -> Result<AssetDir, AssetError> {
    load(dir, "schemas", built_in_schemas(), &["json"])
}

/// The OpenAPI description beside the schemas (`openapi.yaml`), from the same place as
/// [`schemas`] would read; `None` when that directory has none.
pub fn openapi(dir: Option<&Path>) -> Result<Option<AssetFile>, AssetError> {
    let files = load(dir, "schemas", built_in_schemas(), &["yaml"])?;
    Ok(files
        .files
        .into_iter()
        .find(|f| f.relative == "openapi.yaml"))
}

fn load(
    dir: Option<&Path>,
    default: &str,
    embedded: &Dir<'static>,
    extensions: &[&str],
) -> Result<AssetDir, AssetError> {
    let chosen = dir
        .map(Path::to_path_buf)
        .or_else(|| Path::new(default).is_dir().then(|| PathBuf::from(default)));
    match chosen {
        Some(root) => read_dir_tree(&root, extensions),
        None => Ok(from_embedded(embedded, default, extensions)),
    }
}

/// Every file under `root` with one of `extensions`, sorted by relative path.
pub fn read_dir_tree(root: &Path, extensions: &[&str]) -> Result<AssetDir, AssetError> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| AssetError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| AssetError::Read {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if has_extension(&path, extensions) {
                files.push(read_file(root, &path)?);
            }
        }
    }
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(AssetDir {
        origin: root.display().to_string(),
        files,
    })
}

/// One file, named relative to `root`.
pub fn read_file(root: &Path, path: &Path) -> Result<AssetFile, AssetError> {
    let read_error = |source| AssetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::metadata(path).map_err(read_error)?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(AssetError::TooLarge {
            path: path.to_path_buf(),
            bytes,
        });
    }
    let raw = std::fs::read(path).map_err(read_error)?;
    let text = String::from_utf8(raw).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line_start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        AssetError::NotText {
            path: path.to_path_buf(),
            line: good.iter().filter(|b| **b == b'\n').count() + 1,
            column: good.len() - line_start + 1,
        }
    })?;
    let relative = path
        .strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok(AssetFile {
        relative,
        display: path.display().to_string(),
        text,
    })
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.contains(&e))
}

fn from_embedded(dir: &Dir<'static>, name: &str, extensions: &[&str]) -> AssetDir {
    let mut files = Vec::new();
    collect_embedded(dir, name, extensions, &mut files);
    files.sort_by(|a, b| a.relative.cmp(&b.relative));
    AssetDir {
        origin: format!("built-in {name}/"),
        files,
    }
}

fn collect_embedded(dir: &Dir<'static>, name: &str, extensions: &[&str], out: &mut Vec<AssetFile>) {
    for file in dir.files() {
        if !has_extension(file.path(), extensions) {
            continue;
        }
        if let Some(text) = file.contents_utf8() {
            let relative = file.path().to_string_lossy().replace('\\', "/");
            out.push(AssetFile {
                display: format!("{name}/{relative}{BUILT_IN}"),
                relative,
                text: text.to_string(),
            });
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, name, extensions, out);
    }
}
