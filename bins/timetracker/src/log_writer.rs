//! The log file's writer: a request appends its lines to a buffer in
//! memory and goes on; a thread of its own writes the buffer out in
//! batches.
//!
//! `tracing-appender`'s non-blocking writer hands every line to its thread
//! through a channel and wakes that thread for it, so on a busy server each
//! request paid a wake-up, two context switches and a `write(2)` of its own
//! line (on a server pinned to one core that was most of what logging cost;
//! see `docs/reports/performance.md`). Here the thread is woken when a line
//! lands in an empty buffer, then waits [`FLUSH_INTERVAL`] for more (less
//! once [`BATCH`] bytes are waiting) and writes them all at once: at most a
//! few wake-ups per interval, whatever the request rate. A line is in the
//! file at most about [`FLUSH_INTERVAL`] after it was logged, and every
//! line is written when the [`FlushGuard`] drops (which waits at most
//! [`SHUTDOWN_WAIT`] for a disk that hangs, as `tracing-appender`'s guard
//! waited a bounded time too).
//!
//! Bounded: while [`LIMIT`] bytes wait (the disk cannot keep up, or is
//! full), further lines are dropped rather than held in memory or made to
//! wait; they are counted in [`FlushGuard::dropped`].

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tracing_subscriber::fmt::MakeWriter;

/// How long the thread gathers lines after the first one of a batch.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Bytes after which a batch is written without waiting out the interval.
pub const BATCH: usize = 64 * 1024;
/// Bytes that may wait at most; lines beyond are dropped (a few MiB, as
/// many lines as the previous writer's queue held).
pub const LIMIT: usize = 4 * 1024 * 1024;
/// How long dropping the [`FlushGuard`] waits for the last lines to be
/// written: a disk that hangs must not keep the server from stopping.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(2);

/// Hands out the writer of each line (the `MakeWriter` of the log layer).
#[derive(Clone, Debug)]
pub struct BatchedWriter {
    shared: Arc<Shared>,
}

/// Writes what is still waiting and stops the thread when dropped (waiting
/// at most [`SHUTDOWN_WAIT`]).
#[derive(Debug)]
pub struct FlushGuard {
    shared: Arc<Shared>,
    /// Disconnects when the thread has ended (in a mutex only so that the
    /// guard, and the server holding it, can be shared between threads).
    ended: Mutex<Receiver<()>>,
}

#[derive(Debug)]
struct Shared {
    waiting: Mutex<Waiting>,
    wake: Condvar,
    dropped: AtomicU64,
}

#[derive(Debug, Default)]
struct Waiting {
    bytes: Vec<u8>,
    /// The thread was asked to write before the interval is out.
    urged: bool,
    closing: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the thread named `name` writing batches to `sink`.
pub fn batched<W: Write + Send + 'static>(
    sink: W,
    name: &str,
) -> io::Result<(BatchedWriter, FlushGuard)> {
    let shared = Arc::new(Shared {
        waiting: Mutex::new(Waiting {
            bytes: Vec::with_capacity(BATCH),
            ..Waiting::default()
        }),
        wake: Condvar::new(),
        dropped: AtomicU64::new(0),
    });
    let (ending, ended) = channel::<()>();
    {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                write_batches(&shared, sink);
                drop(ending);
            })?;
    }
    Ok((
        BatchedWriter {
            shared: shared.clone(),
        },
        FlushGuard {
            shared,
            ended: Mutex::new(ended),
        },
    ))
}

/// The thread: sleeps while nothing waits, gathers for an interval once
/// something does, writes, until closed.
fn write_batches(shared: &Shared, mut sink: impl Write) {
    let mut spare = Vec::with_capacity(BATCH);
    loop {
        let mut waiting = shared.lock();
        while waiting.bytes.is_empty() && !waiting.closing {
            waiting = shared
                .wake
                .wait(waiting)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let deadline = Instant::now() + FLUSH_INTERVAL;
        while !waiting.urged && !waiting.closing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            waiting = shared
                .wake
                .wait_timeout(waiting, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        std::mem::swap(&mut waiting.bytes, &mut spare);
        waiting.urged = false;
        let closing = waiting.closing;
        drop(waiting);
        // A line that cannot be written (a full disk) is lost, and so is
        // the rest of its batch; the next batch tries again.
        let _ = sink.write_all(&spare).and_then(|()| sink.flush());
        spare.clear();
        if closing && shared.lock().bytes.is_empty() {
            return;
        }
    }
}

impl FlushGuard {
    /// Lines dropped so far because [`LIMIT`] bytes were waiting.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        let ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = ended.recv_timeout(SHUTDOWN_WAIT);
    }
}

/// The writer of one line.
#[derive(Debug)]
pub struct Line<'a>(&'a Shared);

impl Write for Line<'_> {
    /// Takes `buf` whole (the log layer writes each line in one call), or
    /// drops it whole when the buffer is full.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut waiting = self.0.lock();
        if waiting.bytes.len() + buf.len() > LIMIT {
            drop(waiting);
            self.0.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(buf.len());
        }
        let was_empty = waiting.bytes.is_empty();
        waiting.bytes.extend_from_slice(buf);
        let urge = waiting.bytes.len() >= BATCH && !waiting.urged;
        waiting.urged |= urge;
        drop(waiting);
        if was_empty || urge {
            self.0.wake.notify_one();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedWriter {
    type Writer = Line<'a>;

    fn make_writer(&'a self) -> Line<'a> {
        Line(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sink that records each `write_all` batch.
    #[derive(Clone, Default)]
    struct Batches(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Batches {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            all.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Batches {
        fn all(&self) -> Vec<Vec<u8>> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }
    }

    fn line(writer: &BatchedWriter, text: &str) {
        writer
            .make_writer()
            .write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn lines_written_together_reach_the_sink_in_one_batch_within_the_interval() {
        let sink = Batches::default();
        let (writer, guard) = batched(sink.clone(), "test-log-writer").expect("thread");
        let started = Instant::now();
        for i in 0..100 {
            line(&writer, &format!("line {i}\n"));
        }
        while sink.all().is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "nothing written"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(started.elapsed() >= FLUSH_INTERVAL.mul_f32(0.9));
        let batches = sink.all();
        // One write, unless this thread was descheduled for an interval
        // between two lines.
        assert!(batches.len() <= 2, "{} writes for 100 lines", batches.len());
        let text = String::from_utf8(batches.concat()).unwrap_or_default();
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, expected);
        drop(guard);
    }

    #[test]
    fn a_full_batch_is_written_before_the_interval_is_out() {
        let sink = Batches::default();
        let (writer, _guard) = batched(sink.clone(), "test-log-writer").expect("thread");
        let chunk = "x".repeat(1023) + "\n";
        let started = Instant::now();
        for _ in 0..(BATCH / chunk.len() + 1) {
            line(&writer, &chunk);
        }
        while sink.all().is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(
            started.elapsed() < FLUSH_INTERVAL / 2,
            "waited {:?}",
            started.elapsed()
        );
    }

    /// A sink whose writes wait until it is opened, telling when the
    /// first one started waiting.
    #[derive(Clone, Default)]
    struct Gate {
        inner: Batches,
        state: Arc<(Mutex<(bool, bool)>, Condvar)>,
    }

    impl Write for Gate {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (lock, changed) = &*self.state;
            let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
            state.0 = true;
            changed.notify_all();
            while !state.1 {
                state = changed.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
            drop(state);
            self.inner.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Gate {
        fn wait_until_entered(&self) {
            let (lock, changed) = &*self.state;
            let mut state = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while !state.0 {
                state = changed.wait(state).unwrap_or_else(PoisonError::into_inner);
            }
        }
        fn open(&self) {
            let (lock, changed) = &*self.state;
            lock.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
            changed.notify_all();
        }
    }

    #[test]
    fn lines_beyond_the_limit_are_dropped_and_counted_and_the_guard_writes_the_rest() {
        let sink = Gate::default();
        let (writer, guard) = batched(sink.clone(), "test-log-writer").expect("thread");
        // The thread takes the first line and then hangs on the disk.
        line(&writer, "first\n");
        sink.wait_until_entered();
        let chunk = "y".repeat(4095) + "\n";
        let fit = LIMIT / chunk.len();
        for _ in 0..fit + 10 {
            line(&writer, &chunk);
        }
        assert_eq!(guard.dropped(), 10);
        sink.open();
        drop(guard);
        let written: Vec<u8> = sink.inner.all().concat();
        assert_eq!(written.len(), "first\n".len() + fit * chunk.len());
        assert!(written.starts_with(b"first\ny"));
    }

    #[test]
    fn a_hanging_disk_does_not_keep_the_guard_from_dropping() {
        let sink = Gate::default();
        let (writer, guard) = batched(sink.clone(), "test-log-writer").expect("thread");
        line(&writer, "stuck\n");
        sink.wait_until_entered();
        let started = Instant::now();
        drop(guard);
        let waited = started.elapsed();
        assert!(
            waited >= SHUTDOWN_WAIT.mul_f32(0.9) && waited < SHUTDOWN_WAIT * 3,
            "waited {waited:?}"
        );
        sink.open();
    }
}
