//! Items in memory, for the engine's unit tests only (compiled under
//! `cfg(test)`): a real session always uses the OS keyring.

use super::{ItemFuture, Items, StoreError};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Items in memory, for unit tests of the engine's rules only: a real
/// session always uses the keyring. Can play another process (texts that
/// appear on later reads) and a failing keyring.
#[derive(Debug, Default)]
pub struct Memory {
    /// A std Mutex: held only to read or write the map, never across an await.
    items: Mutex<HashMap<String, String>>,
    /// What each next read of an item finds first, in order: `Some(text)`
    /// lands (another process wrote it just before that read), `None`
    /// leaves the item as it is.
    later: Mutex<HashMap<String, VecDeque<Option<String>>>>,
    /// Every write fails, as when the keyring goes away mid-run.
    fail_writes: AtomicBool,
}

impl Memory {
    pub fn put(&self, item: &str, text: String) {
        self.lock().insert(item.to_owned(), text);
    }

    pub fn text(&self, item: &str) -> Option<String> {
        self.lock().get(item).cloned()
    }

    /// Scripts what the next reads of `item` find: see `later`.
    pub fn on_reads(&self, item: &str, script: Vec<Option<String>>) {
        self.later
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(item.to_owned(), script.into());
    }

    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes.store(fail, Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.items.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, change: impl FnOnce(&mut HashMap<String, String>)) -> Result<(), StoreError> {
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(StoreError::Locked);
        }
        change(&mut self.lock());
        Ok(())
    }
}

impl Items for Memory {
    fn get<'a>(&'a self, item: &'a str) -> ItemFuture<'a, Option<String>> {
        let landed = self
            .later
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_mut(item)
            .and_then(VecDeque::pop_front)
            .flatten();
        if let Some(text) = landed {
            self.put(item, text);
        }
        let text = self.text(item);
        Box::pin(async move { Ok(text) })
    }

    fn set<'a>(&'a self, item: &'a str, text: String) -> ItemFuture<'a, ()> {
        let done = self.write(|map| {
            map.insert(item.to_owned(), text);
        });
        Box::pin(async move { done })
    }

    fn delete<'a>(&'a self, item: &'a str) -> ItemFuture<'a, ()> {
        let done = self.write(|map| {
            map.remove(item);
        });
        Box::pin(async move { done })
    }
}
