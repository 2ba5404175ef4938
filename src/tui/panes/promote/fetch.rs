//! Something the wizard asked the service for: the last answer, whether a newer
//! question is out, and the generation only whose answer is taken.

use crate::service::OpsResult;

pub(super) struct Fetch<T> {
    data: Option<Box<T>>,
    pub loading: bool,
    /// The last answer was an error (the data before it, if kept, is still shown).
    pub error: Option<String>,
    generation: u64,
}

impl<T> Default for Fetch<T> {
    fn default() -> Self {
        Fetch {
            data: None,
            loading: false,
            error: None,
            generation: 0,
        }
    }
}

impl<T> Fetch<T> {
    /// A question went out as `generation`; with `keep`, the last answer stays on
    /// screen until the new one arrives (a recheck), else it is dropped.
    pub fn start(&mut self, generation: u64, keep: bool) {
        self.generation = generation;
        self.loading = true;
        self.error = None;
        if !keep {
            self.data = None;
        }
    }

    /// Takes the answer to `generation` if it is the one awaited; false when it was
    /// overtaken (or nothing is awaited) and dropped.
    pub fn accept(&mut self, generation: u64, result: OpsResult<T>) -> bool {
        if !self.loading || generation != self.generation {
            return false;
        }
        self.loading = false;
        match result {
            Ok(data) => {
                self.data = Some(Box::new(data));
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        true
    }

    pub fn ready(&self) -> Option<&T> {
        self.data.as_deref()
    }

    /// Forgets the answer; an answer still on its way is dropped when it comes.
    pub fn clear(&mut self) {
        self.data = None;
        self.loading = false;
        self.error = None;
    }

    /// Shows `data` as an answer would (tests and answers that come another way).
    #[cfg(test)]
    pub fn set(&mut self, data: T) {
        self.data = Some(Box::new(data));
        self.loading = false;
        self.error = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::OpsError;

    #[test]
    fn only_the_awaited_generation_is_taken() {
        let mut f: Fetch<u32> = Fetch::default();
        assert!(!f.accept(0, Ok(1)), "nothing was asked");
        f.start(1, false);
        f.start(2, true);
        assert!(!f.accept(1, Ok(1)), "overtaken by 2");
        assert!(f.loading && f.ready().is_none());
        assert!(f.accept(2, Ok(2)));
        assert_eq!(f.ready(), Some(&2));
        f.start(3, true);
        assert_eq!(f.ready(), Some(&2), "kept while rechecking");
        assert!(f.accept(3, Err(OpsError::invalid("no such environment 'qa'"))));
        assert_eq!(f.ready(), Some(&2));
        assert!(f.error.as_deref().unwrap().contains("qa"));
        f.start(4, false);
        assert_eq!(f.ready(), None);
        f.clear();
        assert!(!f.accept(4, Ok(4)), "cleared: the late answer is dropped");
    }
}
