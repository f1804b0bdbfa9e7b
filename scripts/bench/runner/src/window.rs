//! Items 1 and 2: cold start to "painted" and the process tree's memory, for a
//! window app under Xvfb, measured the same way for Authdeck and the baseline.
//!
//! How "painted" is seen, with no hook in the app: the runner listens on the
//! root window for MapNotify (the app's window appears), then asks the X DAMAGE
//! extension to report every drawing into that window. After each report it
//! grabs the window's pixels (GetImage) and keeps the frame if it differs from
//! the previous one, with the time of the grab. Memory is sampled 5 s after
//! spawn; the watching goes on until the window has not changed for 1.5 s and
//! shows what the app is known to end up showing (for Authdeck: content in the
//! lower half of the window, where the cards are; the "Loading…" page has none
//! there), at most 20 s. The last frame is then the app at rest, and:
//! - mapped: the window appeared;
//! - first paint: the first frame that is not a single flat colour;
//! - painted: the start of the run of frames, lasting to the end, that match
//!   the final frame (at most 0.1% of pixels differ, the 16 px scrollbar strip
//!   at the right edge left out: see SCROLLBAR_STRIP). For Authdeck that frame
//!   holds the six service cards, so "painted" means the dashboard with its
//!   cards, not the "Loading…" placeholder; for the baseline, its static page.
//!
//! Frames are grabbed only when the server says something was drawn, so the
//! watcher costs nothing while the app computes, and nothing is missed between
//! polls.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::damage::{self, ConnectionExt as _};
use x11rb::protocol::xfixes::ConnectionExt as _;
use x11rb::protocol::xproto::{
    AtomEnum, ChangeWindowAttributesAux, ConnectionExt as _, EventMask, ImageFormat, Window,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use crate::procs::{self, ProcMem};

type Error = Box<dyn std::error::Error>;

/// At most this share of pixels may differ for a frame to count as the final one.
const SAME_FRAME_TOLERANCE: f64 = 0.001;
/// Pixels at the right edge left out when frames are compared: WebKitGTK's
/// overlay scrollbar appears there when a page is taller than the window and
/// fades out over about two seconds. That fade is GTK's, not the app painting,
/// and it would otherwise push "painted" of a long page (Authdeck's, not the
/// hello world's) two seconds late.
const SCROLLBAR_STRIP: usize = 16;
/// The app is at rest once nothing was drawn for this long…
const QUIET: Duration = Duration::from_millis(1500);
/// …and the run gives up waiting for that after this long.
const GIVE_UP: Duration = Duration::from_secs(20);

/// What an app's window shows once it is ready, checked on the final frame so
/// a slow start is timed to the real end, never to a placeholder.
#[derive(Clone, Copy, Debug)]
pub enum Ready {
    /// Any settled, non-flat frame (a static page).
    Settled,
    /// Something is drawn below this fraction of the window's height (Authdeck's
    /// cards; its "Loading your accounts…" placeholder sits in the top third).
    ContentBelow(f64),
}

/// One launch of a window app.
#[derive(Debug, Default)]
pub struct WindowRun {
    pub mapped_ms: Option<f64>,
    pub first_paint_ms: Option<f64>,
    pub painted_ms: Option<f64>,
    pub distinct_frames: usize,
    pub memory: Vec<ProcMem>,
    pub error: Option<String>,
}

impl WindowRun {
    pub fn pss_mib(&self) -> f64 {
        procs::kib_to_mib(self.memory.iter().map(|p| p.pss_kib).sum())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "mapped_ms": self.mapped_ms.map(crate::stats::round),
            "first_paint_ms": self.first_paint_ms.map(crate::stats::round),
            "painted_ms": self.painted_ms.map(crate::stats::round),
            "distinct_frames": self.distinct_frames,
            "pss_mib": self.pss_mib(),
            "processes": self.memory.iter().map(ProcMem::json).collect::<Vec<_>>(),
            "error": self.error,
        })
    }
}

struct Frame {
    at_ms: f64,
    width: u16,
    height: u16,
    /// ZPixmap, 32 bits per pixel (B, G, R, unused) on Xvfb's 24-bit visual.
    pixels: Vec<u8>,
}

impl Frame {
    fn pixel_words(&self) -> impl Iterator<Item = u32> + '_ {
        self.pixels
            .chunks_exact(4)
            .map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0]))
    }

    fn is_flat(&self) -> bool {
        let mut words = self.pixel_words();
        match words.next() {
            Some(first) => words.all(|w| w == first),
            None => true,
        }
    }

    /// Whether rows from `fraction` of the height down are one flat colour.
    fn is_flat_below(&self, fraction: f64) -> bool {
        let row = (self.height as f64 * fraction) as usize * self.width as usize * 4;
        let mut words = self.pixels[row.min(self.pixels.len())..]
            .chunks_exact(4)
            .map(|p| u32::from_le_bytes([p[0], p[1], p[2], 0]));
        match words.next() {
            Some(first) => words.all(|w| w == first),
            None => true,
        }
    }

    fn satisfies(&self, ready: Ready) -> bool {
        match ready {
            Ready::Settled => !self.is_flat(),
            Ready::ContentBelow(fraction) => !self.is_flat_below(fraction),
        }
    }

    /// Share of pixels that differ, leaving out the scrollbar strip at the right
    /// edge; 1.0 when the sizes differ.
    fn difference(&self, other: &Frame) -> f64 {
        if self.width != other.width || self.height != other.height {
            return 1.0;
        }
        let width = self.width as usize;
        let compared = width.saturating_sub(SCROLLBAR_STRIP);
        let total = compared * self.height as usize;
        if total == 0 {
            return 0.0;
        }
        let row_bytes = width * 4;
        let differing: usize = self
            .pixels
            .chunks_exact(row_bytes)
            .zip(other.pixels.chunks_exact(row_bytes))
            .map(|(a, b)| {
                a[..compared * 4]
                    .chunks_exact(4)
                    .zip(b[..compared * 4].chunks_exact(4))
                    .filter(|(p, q)| p[..3] != q[..3])
                    .count()
            })
            .sum();
        differing as f64 / total as f64
    }

    /// Binary PPM (P6), RGB.
    fn write_ppm(&self, path: &Path) -> std::io::Result<()> {
        let mut out = format!("P6\n{} {}\n255\n", self.width, self.height).into_bytes();
        for p in self.pixels.chunks_exact(4) {
            out.extend_from_slice(&[p[2], p[1], p[0]]);
        }
        std::fs::write(path, out)
    }
}

/// The X server of the bench session, watched through the root window.
pub struct Display {
    conn: RustConnection,
    root: Window,
    screen_width: u16,
    screen_height: u16,
    net_wm_pid: u32,
}

impl Display {
    pub fn open() -> Result<Display, Error> {
        let (conn, screen) = x11rb::connect(None)?;
        let (root, screen_width, screen_height) = {
            let s = &conn.setup().roots[screen];
            (s.root, s.width_in_pixels, s.height_in_pixels)
        };
        // DAMAGE needs XFIXES, and each extension must be told the version we speak.
        conn.xfixes_query_version(5, 0)?.reply()?;
        conn.damage_query_version(1, 1)?.reply()?;
        conn.change_window_attributes(
            root,
            &ChangeWindowAttributesAux::new().event_mask(EventMask::SUBSTRUCTURE_NOTIFY),
        )?
        .check()?;
        let net_wm_pid = conn.intern_atom(false, b"_NET_WM_PID")?.reply()?.atom;
        Ok(Display {
            conn,
            root,
            screen_width,
            screen_height,
            net_wm_pid,
        })
    }

    fn drain_events(&self) {
        while let Ok(Some(_)) = self.conn.poll_for_event() {}
    }

    /// An app's main window: big enough, and (when GTK set it) the app's pid.
    fn is_app_window(&self, window: Window, pid: u32) -> bool {
        let Ok(Ok(geometry)) = self.conn.get_geometry(window).map(|c| c.reply()) else {
            return false;
        };
        if geometry.width < 300 || geometry.height < 200 {
            return false;
        }
        let owner = self
            .conn
            .get_property(false, window, self.net_wm_pid, AtomEnum::CARDINAL, 0, 1)
            .ok()
            .and_then(|c| c.reply().ok())
            .and_then(|r| r.value32().and_then(|mut v| v.next()));
        owner.is_none_or(|owner| owner == pid)
    }

    /// The window's pixels as shown on screen (grabbed from the root window,
    /// clipped to the screen, so a window partly off screen is no error).
    fn grab(&self, window: Window, at_ms: f64) -> Result<Frame, Error> {
        let geometry = self.conn.get_geometry(window)?.reply()?;
        let origin = self
            .conn
            .translate_coordinates(window, self.root, 0, 0)?
            .reply()?;
        let x0 = origin.dst_x.max(0);
        let y0 = origin.dst_y.max(0);
        let x1 = (origin.dst_x as i32 + geometry.width as i32).min(self.screen_width as i32);
        let y1 = (origin.dst_y as i32 + geometry.height as i32).min(self.screen_height as i32);
        let (width, height) = (
            (x1 - x0 as i32).max(0) as u16,
            (y1 - y0 as i32).max(0) as u16,
        );
        if width == 0 || height == 0 {
            return Ok(Frame {
                at_ms,
                width,
                height,
                pixels: Vec::new(),
            });
        }
        let image = self
            .conn
            .get_image(ImageFormat::Z_PIXMAP, self.root, x0, y0, width, height, !0)?
            .reply()?;
        Ok(Frame {
            at_ms,
            width,
            height,
            pixels: image.data,
        })
    }

    /// Starts `program`, samples the process tree's memory `memory_at` after
    /// spawn, watches its window until it is at rest and `ready`, and ends the
    /// tree. `snapshot`: where to write the final frame (PPM); `frames_dir`:
    /// where to write every distinct frame (for looking into a figure).
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        program: &Path,
        env: &[(String, String)],
        log: &Path,
        memory_at: Duration,
        ready: Ready,
        snapshot: Option<PathBuf>,
        frames_dir: Option<PathBuf>,
    ) -> WindowRun {
        self.drain_events();
        let mut result = WindowRun::default();
        let stderr = std::fs::File::create(log)
            .map(Stdio::from)
            .unwrap_or_else(|_| Stdio::null());
        let start = Instant::now();
        let mut child = match Command::new(program)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                result.error = Some(format!("could not start {}: {e}", program.display()));
                return result;
            }
        };
        let pid = child.id();
        let since_start = || start.elapsed().as_secs_f64() * 1000.0;

        let mut window: Option<Window> = None;
        let mut damage_id: Option<u32> = None;
        let mut drawn = false;
        let mut frames: Vec<Frame> = Vec::new();
        let mut failure: Option<String> = None;
        let mut memory: Option<Vec<ProcMem>> = None;
        let mut last_drawn = Instant::now();

        while failure.is_none() {
            let elapsed = start.elapsed();
            if memory.is_none() && elapsed >= memory_at {
                memory = Some(procs::tree_memory(pid));
            }
            let at_rest =
                last_drawn.elapsed() >= QUIET && frames.last().is_some_and(|f| f.satisfies(ready));
            if memory.is_some() && (at_rest || elapsed >= GIVE_UP) {
                break;
            }
            loop {
                let event = match self.conn.poll_for_event() {
                    Ok(Some(event)) => event,
                    Ok(None) => break,
                    Err(e) => {
                        failure = Some(format!("X connection failed: {e}"));
                        break;
                    }
                };
                match event {
                    Event::MapNotify(e)
                        if window.is_none()
                            && e.event == self.root
                            && !e.override_redirect
                            && self.is_app_window(e.window, pid) =>
                    {
                        result.mapped_ms = Some(since_start());
                        window = Some(e.window);
                        match self.watch(e.window) {
                            Ok(id) => damage_id = Some(id),
                            Err(err) => failure = Some(format!("DAMAGE: {err}")),
                        }
                        drawn = true;
                        last_drawn = Instant::now();
                    }
                    Event::DamageNotify(e) if Some(e.damage) == damage_id => {
                        drawn = true;
                        last_drawn = Instant::now();
                    }
                    Event::DestroyNotify(e) if Some(e.window) == window => {
                        failure = Some("the window closed by itself".into());
                    }
                    _ => {}
                }
            }
            if let (true, Some(w), Some(d)) = (drawn, window, damage_id) {
                drawn = false;
                // Reset before grabbing: whatever is drawn during the grab reports again.
                let _ = self.conn.damage_subtract(d, x11rb::NONE, x11rb::NONE);
                match self.grab(w, since_start()) {
                    Ok(frame) => {
                        if frames.last().is_none_or(|last| last.pixels != frame.pixels) {
                            frames.push(frame);
                        }
                    }
                    Err(e) => failure = Some(format!("could not read the window: {e}")),
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                failure = Some(format!(
                    "the app exited early ({status}); see {}",
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }

        result.memory = memory.unwrap_or_else(|| procs::tree_memory(pid));
        // One last look, in case a paint was never reported.
        if let (None, Some(w)) = (&failure, window) {
            if let Ok(frame) = self.grab(w, since_start()) {
                if frames.last().is_none_or(|last| last.pixels != frame.pixels) {
                    frames.push(frame);
                }
            }
        }
        if let Some(d) = damage_id {
            let _ = self.conn.damage_destroy(d);
        }
        let _ = self.conn.flush();
        // Everything in the tree now, not only at the memory sample.
        let mut everyone = result.memory.clone();
        everyone.extend(procs::tree_memory(pid));
        procs::end_tree(&mut child, &everyone, Duration::from_secs(2));

        result.distinct_frames = frames.len();
        result.first_paint_ms = frames.iter().find(|f| !f.is_flat()).map(|f| f.at_ms);
        if let Some(last) = frames.last() {
            let mut settled = frames.len() - 1;
            while settled > 0 && frames[settled - 1].difference(last) <= SAME_FRAME_TOLERANCE {
                settled -= 1;
            }
            result.painted_ms = Some(frames[settled].at_ms);
            if !last.satisfies(ready) {
                failure.get_or_insert_with(|| {
                    format!(
                        "the window never showed the finished page ({ready:?}) within {} s",
                        GIVE_UP.as_secs()
                    )
                });
            }
            if let Some(path) = snapshot {
                let _ = last.write_ppm(&path);
            }
        }
        if let Some(dir) = frames_dir {
            let _ = std::fs::create_dir_all(&dir);
            for (i, f) in frames.iter().enumerate() {
                let _ = f.write_ppm(&dir.join(format!("{i:03}-{:05.0}ms.ppm", f.at_ms)));
            }
        }
        if window.is_none() {
            failure.get_or_insert_with(|| {
                format!("no window appeared within {} s", GIVE_UP.as_secs())
            });
        }
        result.error = failure;
        // Let the X server, D-Bus and gnome-keyring settle before the next run.
        std::thread::sleep(Duration::from_millis(500));
        self.drain_events();
        result
    }

    fn watch(&self, window: Window) -> Result<u32, Error> {
        let id = self.conn.generate_id()?;
        self.conn
            .damage_create(id, window, damage::ReportLevel::NON_EMPTY)?
            .check()?;
        Ok(id)
    }
}
