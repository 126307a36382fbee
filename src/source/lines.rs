//! Where each node of a YAML document starts, so that a mistake found after parsing (an
//! undefined variable, an unknown schema) can still be reported with its line.
//!
//! Paths look like `scenarios[2].steps[0].request.path`; the root is the empty path.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Line (1-based) of each node path of one YAML document.
#[derive(Debug, Default, Clone)]
pub struct LineIndex {
    /// Each path's line, and the mapping whose key it is (`NOT_A_KEY` for other nodes).
    lines: HashMap<String, (usize, usize)>,
    duplicates: Vec<(usize, String)>,
}

impl LineIndex {
    /// Indexes `text`; a document that does not parse yields an empty index (the parse error
    /// itself is reported by the deserializer, which knows its position).
    pub fn new(text: &str) -> Self {
        let mut indexer = Indexer::default();
        let mut parser = Parser::new_from_str(text);
        if parser.load(&mut indexer, false).is_err() {
            return Self::default();
        }
        Self {
            lines: indexer.lines,
            duplicates: indexer.duplicates,
        }
    }

    /// Each key written twice in one mapping: the line of its second occurrence and its path.
    /// (The loader reads YAML straight into JSON maps, where a second entry would silently
    /// replace the first.)
    pub fn duplicates(&self) -> &[(usize, String)] {
        &self.duplicates
    }

    /// The line of `path`, or of its nearest indexed ancestor, or 1.
    pub fn line(&self, path: &str) -> usize {
        let mut path = path;
        loop {
            if let Some((line, _)) = self.lines.get(path) {
                return *line;
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path = &path[..cut],
                None => return self.lines.get("").map_or(1, |(line, _)| *line),
            }
        }
    }
}

enum Frame {
    /// `id` tells this mapping's keys from a key of another mapping with the same path (a
    /// key spelt `a.b` beside a mapping `a` holding `b`).
    Map {
        path: String,
        key: Option<String>,
        id: usize,
    },
    Seq {
        path: String,
        next: usize,
    },
}

const NOT_A_KEY: usize = 0;

#[derive(Default)]
struct Indexer {
    stack: Vec<Frame>,
    lines: HashMap<String, (usize, usize)>,
    duplicates: Vec<(usize, String)>,
    maps: usize,
}

impl Indexer {
    /// The path of the value about to start at the current position.
    fn value_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Map { path, key, .. }) => join(path, key.as_deref().unwrap_or("?")),
            Some(Frame::Seq { path, next }) => format!("{path}[{next}]"),
        }
    }

    /// Marks the end of one value in the current container.
    fn advance(&mut self) {
        match self.stack.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { next, .. }) => *next += 1,
            None => {}
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(value, ..) if self.expecting_key() => {
                if let Some(Frame::Map { path, key, id }) = self.stack.last_mut() {
                    let key_path = join(path, &value);
                    match self.lines.entry(key_path) {
                        Entry::Occupied(seen) if seen.get().1 == *id => {
                            self.duplicates.push((mark.line(), seen.key().clone()));
                        }
                        Entry::Occupied(_) => {}
                        Entry::Vacant(new) => {
                            new.insert((mark.line(), *id));
                        }
                    }
                    *key = Some(value);
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                let path = self.value_path();
                self.lines.entry(path).or_insert((mark.line(), NOT_A_KEY));
                self.advance();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.value_path();
                self.lines
                    .entry(path.clone())
                    .or_insert((mark.line(), NOT_A_KEY));
                self.stack
                    .push(if matches!(event, Event::MappingStart(..)) {
                        self.maps += 1;
                        Frame::Map {
                            path,
                            key: None,
                            id: self.maps,
                        }
                    } else {
                        Frame::Seq { path, next: 0 }
                    });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.advance();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_keys_and_sequence_items() {
        let text = "api: x\nscenarios:\n  - name: a\n    steps:\n      - name: s\n        request:\n          path: /p\n  - name: b\n";
        let index = LineIndex::new(text);
        assert_eq!(index.line("api"), 1);
        assert_eq!(index.line("scenarios[0]"), 3);
        assert_eq!(index.line("scenarios[0].steps[0].request.path"), 7);
        assert_eq!(index.line("scenarios[1].name"), 8);
        // An unknown child falls back to its nearest ancestor.
        assert_eq!(index.line("scenarios[1].steps[4].expect"), 8);
    }

    #[test]
    fn finds_keys_written_twice_in_one_mapping() {
        let text = "a: 1\nb:\n  c: 2\n  c: 3\nl: [{x: 1, x: 2}]\nb.c: 4\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.duplicates(),
            &[(4, "b.c".to_string()), (5, "l[0].x".to_string())]
        );
        let clean = LineIndex::new("a: {b: 1}\nc: {b: 2}\n");
        assert!(clean.duplicates().is_empty());
    }
}
