//! Which messages of a long conversation have rows in the DOM: a contiguous
//! run `start..end` of `Chat` indices, about [`TARGET`] of them. The chat
//! keeps every entry; rows are built for the window only, a [`CHUNK`] per
//! frame, so neither a long history nor scrolling through it builds
//! thousands of nodes at once.
//!
//! Pure arithmetic, unit-tested natively; `Ui` does the DOM work it asks for.

use std::ops::Range;

/// Rows kept when following the newest message.
pub const TARGET: usize = 200;
/// Rows built (or dropped) in one frame.
pub const CHUNK: usize = 25;
/// Past this many rows, the ones farthest from where the visitor reads go.
const MAX: usize = TARGET + 4 * CHUNK;

#[derive(Default, Debug, PartialEq, Eq)]
pub struct Window {
    /// Chat index of the first row.
    start: usize,
    /// Chat index after the last row.
    end: usize,
    /// Entries in the chat.
    len: usize,
}

/// What to do to the rows next, in chat indices.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Build rows for these entries, next to the window's rows: above them
    /// or after them (or in their place, when there are none).
    Build(Range<usize>),
    /// Remove the rows of these entries: the top or the bottom of the
    /// window, or all of it.
    Drop(Range<usize>),
    Done,
}

/// Where the visitor is in the list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Wants the newest message in view: at the end, or sent there.
    pub follow: bool,
    /// Within a screen or two of the first row.
    pub near_top: bool,
    /// Within a screen or two of the last row.
    pub near_bottom: bool,
    /// More of the rows lie above the screen than below it.
    pub more_above: bool,
}

impl Window {
    /// The DOM position of the row for entry `index`, if it has one.
    pub fn row(&self, index: usize) -> Option<usize> {
        (self.start..self.end).contains(&index).then(|| index - self.start)
    }

    /// Whether newer entries than the last row have none.
    pub fn behind(&self) -> bool {
        self.end < self.len
    }

    /// Rows shown, as chat indices.
    pub fn shown(&self) -> Range<usize> {
        self.start..self.end
    }

    /// An entry is to be inserted at `index`, `now` as in [`Window::insert`].
    /// Returns how many of the first rows the caller removes first:
    /// - a single new message below rows that were dropped (or not built
    ///   yet): all, the window starts again at it, so that its row is built
    ///   at once, and announced;
    /// - a message of a history page among the rows (older than the
    ///   visitor's unsent ones, which stay last): those above it, so that
    ///   it is built above the rest, a chunk per frame, as the rest of its page.
    pub fn make_room(&mut self, index: usize, now: bool) -> usize {
        let Self { start, end, .. } = *self;
        if now && index >= end && self.behind() {
            (self.start, self.end) = (index, index);
            end - start
        } else if !now && index > start && index < end {
            self.start = index;
            index - start
        } else {
            0
        }
    }

    /// An entry was inserted at `index`. Returns the DOM position to build its
    /// row at, or `None` if it lies outside the window. Only a single new
    /// message (`now`) gets one: a history page's rows are built a chunk per
    /// frame, its messages go above the first row or after the last. After
    /// the last row, it gets one only where the rows reach the end or there
    /// are none (see [`Window::make_room`]).
    pub fn insert(&mut self, index: usize, now: bool) -> Option<usize> {
        let at_end = self.end == self.len || self.start == self.end;
        self.len += 1;
        if index < self.start || (index == self.start && !now) {
            self.start += 1;
            self.end += 1;
            return None;
        }
        if index < self.end || (index == self.end && at_end && now) {
            self.end += 1;
            return Some(index - self.start);
        }
        None
    }

    /// The entry at `index` was removed. Returns the DOM position of its row.
    pub fn remove(&mut self, index: usize) -> Option<usize> {
        self.len = self.len.saturating_sub(1);
        if index < self.start {
            self.start -= 1;
            self.end -= 1;
            None
        } else if index < self.end {
            self.end -= 1;
            Some(index - self.start)
        } else {
            None
        }
    }

    /// Every entry and row is gone.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The next change that brings the rows to where the visitor is, at most
    /// a [`CHUNK`] of rows built. `apply` must follow with the same step.
    pub fn next(&self, view: View) -> Step {
        let Self { start, end, len } = *self;
        let size = end - start;
        // Following the newest, older rows come only up to the target.
        let near_top = view.near_top && !view.follow;
        if end < len && view.follow && len - end > TARGET {
            // Too far behind to build the way down: start again at the end.
            return if size > 0 { Step::Drop(start..end) } else { Step::Build(len.saturating_sub(CHUNK)..len) };
        }
        if size > MAX {
            // Keep the rows around where the visitor reads: drop the farther
            // ones (dropping the rows just built above would bring the
            // visitor back to the top, and them again, for ever).
            return Step::Drop(if view.more_above { start..end - MAX } else { start + MAX..end });
        }
        if end < len && (view.follow || view.near_bottom) {
            return Step::Build(end..len.min(end + CHUNK));
        }
        if start > 0 && (near_top || (view.follow && size < TARGET)) {
            return Step::Build(start.saturating_sub(CHUNK)..start);
        }
        if view.follow && size > TARGET {
            return Step::Drop(start..end - TARGET);
        }
        Step::Done
    }

    /// Records that `step` was carried out on the rows.
    pub fn apply(&mut self, step: &Step) {
        match step {
            Step::Build(range) if self.start == self.end => (self.start, self.end) = (range.start, range.end),
            Step::Build(range) if range.end == self.start => self.start = range.start,
            Step::Build(range) => self.end = range.end,
            Step::Drop(range) if range.start == self.start => self.start = range.end,
            Step::Drop(range) => self.end = range.start,
            Step::Done => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FOLLOW: View = View { follow: true, near_top: false, near_bottom: true, more_above: true };
    const TOP: View = View { follow: false, near_top: true, near_bottom: false, more_above: false };

    /// A model of the DOM rows: the chat index each row shows.
    struct Rows {
        window: Window,
        rows: Vec<usize>,
    }

    impl Rows {
        fn new() -> Self {
            Self { window: Window::default(), rows: Vec::new() }
        }

        /// A history page of `n` messages, loaded, no row built yet.
        fn history_page(n: usize) -> Self {
            let mut rows = Self::new();
            for i in 0..n {
                rows.insert(i, false);
            }
            rows
        }

        /// A history of `n` messages, loaded and shown from the newest.
        fn history(n: usize) -> Self {
            let mut rows = Self::history_page(n);
            rows.settle(FOLLOW);
            rows
        }

        /// Runs one step as the UI does; returns whether there was one.
        fn step(&mut self, view: View) -> bool {
            let step = self.window.next(view);
            match &step {
                Step::Done => return false,
                Step::Build(range) => {
                    assert!(range.len() <= CHUNK);
                    let at = if range.end == self.window.start { 0 } else { self.rows.len() };
                    self.rows.splice(at..at, range.clone());
                }
                Step::Drop(range) => {
                    let at = range.start - self.window.start;
                    self.rows.drain(at..at + range.len());
                }
            }
            self.window.apply(&step);
            self.check();
            assert!(self.rows.len() <= MAX + CHUNK);
            true
        }

        /// Runs steps until done; returns how many it took.
        fn settle(&mut self, view: View) -> usize {
            let mut steps = 0;
            while self.step(view) {
                steps += 1;
                assert!(steps < 10_000, "no progress");
            }
            steps
        }

        /// The rows are exactly the window's entries, in order.
        fn check(&self) {
            assert_eq!(self.rows, self.window.shown().collect::<Vec<_>>(), "{:?}", self.window);
        }

        fn insert(&mut self, index: usize, now: bool) {
            let dropped = self.window.make_room(index, now);
            self.rows.drain(..dropped);
            // Entries after `index` move up by one: so do their rows.
            for row in &mut self.rows {
                if *row >= index {
                    *row += 1;
                }
            }
            if let Some(at) = self.window.insert(index, now) {
                self.rows.insert(at, index);
            }
            self.check();
        }

        fn remove(&mut self, index: usize) {
            if let Some(at) = self.window.remove(index) {
                assert_eq!(self.rows.remove(at), index);
            }
            for row in &mut self.rows {
                if *row > index {
                    *row -= 1;
                }
            }
            self.check();
        }
    }

    #[test]
    fn a_long_history_builds_only_the_newest_rows_a_chunk_at_a_time() {
        let mut rows = Rows::new();
        for i in 0..5000 {
            rows.insert(i, false);
        }
        assert!(rows.rows.is_empty(), "a history page is built by steps, not at once");
        let steps = rows.settle(FOLLOW);
        assert_eq!(rows.window.shown(), 4800..5000);
        assert_eq!(steps, TARGET / CHUNK);
    }

    #[test]
    fn single_new_messages_show_at_once_and_old_rows_go_while_following() {
        let mut rows = Rows::new();
        for i in 0..TARGET + 3 * CHUNK {
            rows.insert(i, true);
        }
        assert_eq!(rows.window.shown(), 0..TARGET + 3 * CHUNK);
        rows.settle(FOLLOW);
        assert_eq!(rows.window.shown(), 3 * CHUNK..TARGET + 3 * CHUNK);
    }

    #[test]
    fn scrolling_up_shows_every_older_row_in_order_and_bounds_the_rest() {
        let mut rows = Rows::history(2000);
        let mut seen = std::collections::BTreeSet::new();
        // One step per scroll event near the top, each adding older rows.
        while rows.window.shown().start > 0 {
            let before = rows.window.shown().start;
            while rows.step(TOP) && rows.window.shown().start == before {}
            assert!(rows.window.shown().start < before);
            seen.extend(rows.window.shown());
        }
        // Scrolling back down brings back the newest, in order.
        let down = View { follow: false, near_top: false, near_bottom: true, more_above: true };
        while rows.step(down) {
            seen.extend(rows.window.shown());
        }
        assert_eq!(rows.window.shown().end, 2000);
        assert_eq!(seen.len(), 2000);
    }

    #[test]
    fn a_new_message_below_dropped_rows_starts_the_window_again_at_it() {
        let mut rows = Rows::history(1000);
        rows.settle(TOP);
        assert!(rows.window.shown().end < 1000 - TARGET);
        // Built at once (a new message is announced as it is added), alone:
        // the rows far above it are gone.
        rows.insert(1000, true);
        assert_eq!(rows.window.shown(), 1000..1001);
        // The older rows come above it, a chunk at a time.
        rows.settle(FOLLOW);
        assert_eq!(rows.window.shown(), 1001 - TARGET..1001);
    }

    #[test]
    fn a_new_message_before_the_rows_of_a_history_page_are_built_is_built_at_once() {
        let mut rows = Rows::new();
        for i in 0..300 {
            rows.insert(i, false);
        }
        rows.insert(300, true);
        assert_eq!(rows.window.shown(), 300..301);
        rows.settle(FOLLOW);
        assert_eq!(rows.window.shown(), 101..301);
    }

    #[test]
    fn history_pages_before_an_unsent_message_are_built_by_steps_above_it() {
        // A reload during which the visitor sends: a history page, some of
        // its rows built, the visitor's message (pending, last), two more
        // pages (older: before it), the last page of one message (built at
        // once). The acknowledgement moves no entry.
        for built in [1, TARGET / CHUNK] {
            let mut rows = Rows::history_page(TARGET);
            for _ in 0..built {
                rows.step(FOLLOW);
            }
            rows.insert(TARGET, true);
            let pending = rows.rows.len();
            for i in TARGET..3 * TARGET {
                rows.insert(i, false);
                assert!(rows.rows.len() <= pending, "a history page is built by steps, not at once ({built})");
            }
            rows.insert(3 * TARGET, true);
            assert_eq!(rows.window.row(3 * TARGET + 1), Some(rows.rows.len() - 1), "the unsent message stays last");
            rows.settle(FOLLOW);
            assert_eq!(rows.window.shown(), 2 * TARGET + 2..3 * TARGET + 2);
        }
    }

    #[test]
    fn rows_just_built_above_the_screen_stay_once_it_leaves_the_top() {
        let mut rows = Rows::history(2000);
        while rows.window.shown().len() <= MAX {
            rows.step(TOP);
        }
        // Scrolled a little down from the top, into the rows just built: the
        // rows far below go, not those.
        let start = rows.window.shown().start;
        let reading = View { follow: false, near_top: false, near_bottom: false, more_above: false };
        rows.settle(reading);
        assert_eq!(rows.window.shown(), start..start + MAX);
    }

    #[test]
    fn inserts_and_moves_keep_rows_aligned_inside_and_outside_the_window() {
        let mut rows = Rows::history(600);
        assert_eq!(rows.window.shown(), 400..600);
        // Above the window: not built, the window shifts.
        rows.insert(10, true);
        assert_eq!(rows.window.shown(), 401..601);
        // Inside: built at its place.
        rows.insert(500, true);
        assert_eq!(rows.window.row(500), Some(99));
        // A pending message at the end, acknowledged into the middle.
        rows.insert(602, true);
        rows.remove(602);
        rows.insert(450, true);
        assert_eq!(rows.window.shown(), 401..603);
        // Scrolled to the top, the newest rows dropped: an acknowledgement
        // moves a message from outside the window inside.
        rows.settle(TOP);
        assert_eq!(rows.window.shown(), 0..MAX);
        rows.insert(603, false);
        assert_eq!(rows.window.row(603), None);
        rows.remove(603);
        rows.insert(5, true);
        assert_eq!(rows.window.row(5), Some(5));
        assert_eq!(rows.window.shown(), 0..MAX + 1);
        // A pending message there starts the window again at it; its
        // acknowledgement far above leaves no row until the rows follow.
        rows.insert(603, true);
        assert_eq!(rows.window.shown(), 603..604);
        rows.remove(603);
        rows.insert(6, true);
        assert_eq!(rows.window.shown(), 604..604);
        rows.remove(6);
        // The other way: a pending row shown, moved above the window.
        rows.settle(FOLLOW);
        rows.insert(604, true);
        assert_eq!(rows.window.row(604), Some(TARGET));
        rows.remove(604);
        rows.insert(7, true);
        assert_eq!(rows.window.shown(), 405..605);
        rows.window.clear();
        assert_eq!(rows.window.shown(), 0..0);
    }

    #[test]
    fn an_empty_chat_at_the_top_builds_the_first_messages() {
        let mut window = Window::default();
        assert_eq!(window.insert(0, true), Some(0));
        assert_eq!(window.insert(0, true), Some(0));
        assert_eq!(window.insert(2, true), Some(2));
        assert_eq!(window.shown(), 0..3);
        assert_eq!(window.remove(1), Some(1));
        assert_eq!(window.next(FOLLOW), Step::Done);
    }
}
