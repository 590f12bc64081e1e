//! The one task that acts on time: it pushes each site's availability when
//! it changes (an agent arrives or leaves, hours begin or end) and ends
//! conversations idle for longer than their site allows. It sleeps until the
//! next hours boundary of any site, and wakes early when agent presence
//! changes or a test sets the clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use natter::protocol::{Availability, AvailabilityState, ServerFrame};

use crate::clock::rfc3339;
use crate::config::Site;
use crate::store::{self, Ender};
use crate::{App, AppState};

/// Longest sleep: bounds how late a jump of the system clock is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// The availability last pushed to each site's sockets.
#[derive(Default)]
pub struct Announced(Mutex<HashMap<String, Availability>>);

impl AppState {
    /// A site's availability now: `offline` outside its hours (with the next
    /// opening), else `online` when an agent or the bot is connected.
    pub fn availability(&self, site: &Site) -> Availability {
        let now = self.now_ms();
        match &site.hours {
            Some(hours) if !hours.is_open(now) => {
                Availability { state: AvailabilityState::Offline, next_open_at: hours.next_open(now).map(rfc3339) }
            }
            _ if self.hub.agents_online(site.app_key()) => {
                Availability { state: AvailabilityState::Online, next_open_at: None }
            }
            _ => Availability { state: AvailabilityState::Away, next_open_at: None },
        }
    }

    /// Pushes an `availability` frame to every site whose availability
    /// changed since the last push.
    fn push_availability(&self) {
        for site in self.sites.by_key.values() {
            let now = self.availability(site);
            let before =
                self.announced.0.lock().unwrap_or_else(|p| p.into_inner()).insert(site.app_key().into(), now.clone());
            if before.as_ref().is_some_and(|b| *b != now) {
                self.hub.to_site(site.app_key(), &ServerFrame::Availability(now));
            }
        }
    }

    /// The next instant any site's hours begin or end.
    fn next_boundary(&self, now: i64) -> Option<i64> {
        self.sites.by_key.values().filter_map(|s| s.hours.as_ref()?.next_change(now)).min()
    }

    /// Ends the conversations idle for longer than their site allows;
    /// returns when the next open one would be due, if any.
    async fn close_idle(&self, now: i64) -> Option<i64> {
        let mut next: Option<i64> = None;
        for site in self.sites.by_key.values().filter(|s| s.config.idle_close_mins > 0) {
            let idle_ms = i64::from(site.config.idle_close_mins) * 60_000;
            let key = site.app_key().to_string();
            let idle = self.store.call(move |c| store::idle_conversations(c, &key, now - idle_ms)).await;
            for id in idle.unwrap_or_default() {
                if let Err(err) = self.end_conversation(id, Ender::System).await {
                    tracing::warn!(?err, conversation = id, "idle conversation not ended");
                }
            }
            let key = site.app_key().to_string();
            if let Ok(Some(oldest)) = self.store.call(move |c| store::oldest_open_activity(c, &key)).await {
                next = Some(next.map_or(oldest + idle_ms, |n| n.min(oldest + idle_ms)));
            }
        }
        next
    }
}

/// Runs until shutdown.
pub async fn run(app: App) {
    let mut clock = app.clock.watch();
    let mut shutdown = app.shutdown.clone();
    loop {
        let setting = *clock.borrow_and_update();
        app.push_availability();
        let now = app.now_ms();
        let due = app.close_idle(now).await;
        app.clock.acted(&setting);
        // A conversation opened while sleeping is seen on the next pass: at
        // most MAX_SLEEP late.
        let next = app.next_boundary(now).into_iter().chain(due.filter(|&at| at > now)).min();
        let sleep = next.map_or(MAX_SLEEP, |at| Duration::from_millis((at - now).max(0) as u64).min(MAX_SLEEP));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = app.hub.presence_changed.notified() => {}
            changed = clock.changed() => if changed.is_err() { return },
            _ = crate::stopped(&mut shutdown) => return,
        }
    }
}
