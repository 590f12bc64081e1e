//! Ratings: a visitor rates an ended conversation of theirs on the site's
//! scale (CSAT 1-5 or NPS 0-10), may change it within
//! [`RATING_CHANGE_SECS`] of first giving it, and agents list them with a
//! per-scale summary.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter::protocol::{
    ConversationStatus, ErrorCode, Rating, RatingRequest, RatingResponse, RatingScale, ServerFrame,
    MAX_RATING_COMMENT_CHARS, RATING_CHANGE_SECS,
};
use serde::{Deserialize, Serialize};

use crate::agent::AgentAuth;
use crate::error::ApiError;
use crate::http::{json, JsonBody};
use crate::store::{self, Rated};
use crate::visitor::{owned, path_id, VisitorAuth};
use crate::{webhooks, App};

/// Default and largest page of `GET /api/v1/agent/ratings`.
const LIST_DEFAULT: u32 = 50;
const LIST_MAX: u32 = 500;

/// The request's comment: trimmed, blank = none, at most
/// [`MAX_RATING_COMMENT_CHARS`] (413 `text_too_long`).
fn comment(given: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(text) = given.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()) else { return Ok(None) };
    if text.chars().count() > MAX_RATING_COMMENT_CHARS {
        return Err(ApiError::detail(
            ErrorCode::TextTooLong,
            format!("comment is longer than {MAX_RATING_COMMENT_CHARS} characters"),
        ));
    }
    Ok(Some(text))
}

/// `POST /api/v1/cs/conversations/{id}/rating` *token*: 200 `{rating}`.
pub async fn rate(
    State(app): State<App>,
    auth: VisitorAuth,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonBody<RatingRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let row = owned(&app, &auth, id).await?;
    let JsonBody(req) = body?;
    if auth.site.config.rating.scale() != Some(req.scale) {
        return Err(ApiError::detail(
            ErrorCode::RatingDisabled,
            format!("this site does not rate on {}", req.scale.as_str()),
        ));
    }
    let (low, high) = req.scale.range();
    if !(low..=high).contains(&req.score) {
        return Err(ApiError::detail(ErrorCode::BadRequest, format!("score must be {low} to {high}")));
    }
    let comment = comment(req.comment)?;
    if row.conversation.status == ConversationStatus::Open {
        return Err(ApiError::new(ErrorCode::ConversationOpen));
    }
    // Like a message: a visitor's writes are budgeted per visitor.
    app.limit(format!("rating:{}", auth.visitor), app.sites.limits.messages_per_minute)?;
    let (now, window) = (app.now_ms(), RATING_CHANGE_SECS as i64 * 1000);
    let outbox = app.hooks.outbox.clone();
    let rated = app
        .store
        .write(move |c| {
            let rated = store::rate(c, id, req.scale, req.score, comment.as_deref(), now, window)?;
            if let Rated::Changed(row) = &rated {
                outbox.enqueue_with(c, webhooks::RATING_CREATED, row, ("rating", &row.conversation.rating), now)?;
            }
            Ok(rated)
        })
        .await?;
    app.hooks.wake();
    let rating = match rated {
        Rated::Same(rating) => rating,
        Rated::Locked => return Err(ApiError::new(ErrorCode::RatingLocked)),
        Rated::Changed(row) => {
            let frame = ServerFrame::Conversation { conversation: row.conversation.clone(), visitor: None };
            app.hub.to_agents(&row.app_key, &frame);
            row.conversation.rating.ok_or(ApiError::new(ErrorCode::Internal))?
        }
    };
    Ok(json(StatusCode::OK, &RatingResponse { rating }))
}

/// `GET /api/v1/agent/ratings`: the newest ratings of the site and a
/// summary of all of them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RatingList {
    pub ratings: Vec<Rating>,
    pub summary: Summary,
}

/// Every rating of a site, per scale.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub csat: CsatSummary,
    pub nps: NpsSummary,
}

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct CsatSummary {
    pub count: u64,
    /// Mean score (1 to 5); `null` without ratings.
    pub average: Option<f64>,
}

/// Promoters score 9-10, passives 7-8, detractors 0-6.
#[derive(Debug, Default, PartialEq, Serialize)]
pub struct NpsSummary {
    pub count: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// % promoters − % detractors (−100 to 100); `null` without ratings.
    pub score: Option<f64>,
}

impl Summary {
    /// From the number of ratings at each (scale, score).
    pub fn from_counts(counts: &[(RatingScale, u8, u64)]) -> Summary {
        let mut s = Summary::default();
        let mut csat_total = 0;
        for &(scale, score, n) in counts {
            match scale {
                RatingScale::Csat => {
                    s.csat.count += n;
                    csat_total += u64::from(score) * n;
                }
                RatingScale::Nps => {
                    s.nps.count += n;
                    match score {
                        9.. => s.nps.promoters += n,
                        7 | 8 => s.nps.passives += n,
                        _ => s.nps.detractors += n,
                    }
                }
            }
        }
        let share = |part: u64, of: u64| part as f64 * 100.0 / of as f64;
        s.csat.average = (s.csat.count > 0).then(|| csat_total as f64 / s.csat.count as f64);
        s.nps.score =
            (s.nps.count > 0).then(|| share(s.nps.promoters, s.nps.count) - share(s.nps.detractors, s.nps.count));
        s
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<u32>,
}

/// `GET /api/v1/agent/ratings?limit=`.
pub async fn list(
    State(app): State<App>,
    agent: AgentAuth,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = crate::visitor::query(query)?;
    let limit = q.limit.unwrap_or(LIST_DEFAULT).clamp(1, LIST_MAX);
    let key = agent.site.app_key().to_string();
    let (ratings, counts) =
        app.store.call(move |c| Ok((store::ratings(c, &key, limit)?, store::rating_counts(c, &key)?))).await?;
    Ok(json(StatusCode::OK, &RatingList { ratings, summary: Summary::from_counts(&counts) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_per_scale() {
        assert_eq!(Summary::from_counts(&[]), Summary::default());
        let s = Summary::from_counts(&[
            (RatingScale::Csat, 5, 2),
            (RatingScale::Csat, 2, 1),
            (RatingScale::Nps, 10, 2),
            (RatingScale::Nps, 9, 1),
            (RatingScale::Nps, 8, 1),
            (RatingScale::Nps, 6, 1),
            (RatingScale::Nps, 0, 1),
        ]);
        assert_eq!((s.csat.count, s.csat.average), (3, Some(4.0)));
        assert_eq!((s.nps.count, s.nps.promoters, s.nps.passives, s.nps.detractors), (6, 3, 1, 2));
        // 50 % promoters − 33.3 % detractors.
        assert!((s.nps.score.unwrap() - 100.0 / 6.0).abs() < 1e-9);
    }
}
