//! The error envelope `{"error": {"code", "message"}}`, its HTTP statuses
//! and its two languages. Handlers return [`ApiError`]; the [`localize`]
//! middleware re-renders it in the language of the request's `X-Locale`.

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use natter::protocol::{ErrorBody, ErrorCode, ErrorEnvelope, FieldError, LOCALE_HEADER};

use crate::store::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    EnUs,
    ZhCn,
}

impl Locale {
    /// `zh`, `zh-CN`, `zh-Hans`... are Chinese; anything else English.
    pub fn from_header(value: Option<&str>) -> Locale {
        match value {
            Some(v) if v.trim().to_ascii_lowercase().starts_with("zh") => Locale::ZhCn,
            _ => Locale::EnUs,
        }
    }
}

fn text(code: ErrorCode, locale: Locale) -> &'static str {
    use ErrorCode::*;
    let (en, zh) = match code {
        BadRequest => ("The request is malformed", "请求格式错误"),
        EmptyText => ("The message is empty", "消息内容为空"),
        TokenMissing => ("A visitor token is required", "缺少访客令牌"),
        TokenInvalid => ("The token is invalid", "令牌无效"),
        TokenExpired => ("The token has expired; handshake again", "令牌已过期,请重新握手"),
        OriginDenied => ("This origin is not allowed for this site", "当前域名不在该站点的允许列表中"),
        IdentityRejected => ("The identity proof is wrong", "身份校验失败"),
        IdentityUnverified => ("This user id needs a proof of identity", "该用户 ID 需要身份校验"),
        LinkInvalid => ("This link is not valid", "链接无效"),
        LinkExpired => ("This link has expired; ask for a new one", "链接已过期,请重新获取"),
        Forbidden => ("This conversation belongs to another visitor", "该会话属于其他访客"),
        NotFound => ("Not found", "未找到"),
        UnknownAppKey => ("Unknown app key", "未知的 appKey"),
        WebsocketDisabled => ("WebSocket is disabled on this server; use polling", "服务器已禁用 WebSocket,请使用轮询"),
        MethodNotAllowed => ("Method not allowed", "不支持该请求方法"),
        ClientMsgIdConflict => ("This clientMsgId was already used for another text", "该 clientMsgId 已用于其他内容"),
        ConversationClosed => ("The conversation is closed", "会话已关闭"),
        ConversationOpen => ("The conversation has not ended yet", "会话尚未结束"),
        RatingLocked => ("This rating can no longer be changed", "该评价已无法修改"),
        RatingDisabled => ("This site does not ask for this rating", "该站点未开启此评价"),
        UnknownForm => ("This site has no form of that name", "该站点没有此表单"),
        InvalidForm => ("Some fields of the form are not valid", "表单中有字段无效"),
        FormRequired => ("Fill in the form before sending a message", "请先填写表单再发送消息"),
        BodyTooLarge => ("The request body is too large", "请求体过大"),
        TextTooLong => ("The message is too long", "消息过长"),
        RateLimited => ("Too many requests; retry later", "请求过于频繁,请稍后重试"),
        UnknownFrame => ("Unknown frame type", "未知的帧类型"),
        Internal => ("Internal server error", "服务器内部错误"),
        Unavailable => ("The service is unavailable", "服务暂不可用"),
    };
    match locale {
        Locale::EnUs => en,
        Locale::ZhCn => zh,
    }
}

/// An error on its way to the client.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    /// Language-neutral precision, e.g. the offending field name.
    pub detail: Option<String>,
    /// Seconds, for `rate_limited`.
    pub retry_after: Option<u64>,
    /// Each refused field of a form, for `invalid_form`.
    pub fields: Option<BTreeMap<String, FieldError>>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError { code, detail: None, retry_after: None, fields: None }
    }

    pub fn detail(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError { detail: Some(detail.into()), ..ApiError::new(code) }
    }

    pub fn rate_limited(seconds: u64) -> ApiError {
        ApiError { retry_after: Some(seconds), ..ApiError::new(ErrorCode::RateLimited) }
    }

    /// 400 `invalid_form`, naming each refused field and its problem.
    pub fn invalid_form(fields: BTreeMap<String, FieldError>) -> ApiError {
        ApiError { fields: Some(fields), ..ApiError::new(ErrorCode::InvalidForm) }
    }

    pub fn body(&self, locale: Locale) -> ErrorBody {
        let base = text(self.code, locale);
        ErrorBody {
            code: self.code,
            message: match &self.detail {
                Some(d) => format!("{base}: {d}"),
                None => base.to_string(),
            },
            retry_after_sec: self.retry_after,
            fields: self.fields.clone(),
        }
    }

    pub fn render(&self, locale: Locale) -> Response {
        let status = StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let json = serde_json::to_string(&ErrorEnvelope { error: self.body(locale) }).unwrap_or_default();
        let mut resp = (status, [(header::CONTENT_TYPE, "application/json")], json).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp.extensions_mut().insert(self.clone());
        resp
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::new(code)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(ErrorCode::NotFound),
            StoreError::Closed => ApiError::new(ErrorCode::ConversationClosed),
            StoreError::Conflict => ApiError::new(ErrorCode::ClientMsgIdConflict),
            StoreError::FormRequired => ApiError::new(ErrorCode::FormRequired),
            StoreError::IdentityUnverified => ApiError::detail(
                ErrorCode::IdentityUnverified,
                "this externalUserId is verified; a userHash or identityToken is required",
            ),
            StoreError::Sql(err) => {
                tracing::error!(%err, "database error");
                ApiError::new(ErrorCode::Internal)
            }
            StoreError::Join => {
                tracing::error!("database task failed");
                ApiError::new(ErrorCode::Internal)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.render(Locale::EnUs)
    }
}

/// Re-renders error responses in the request's `X-Locale` language.
pub async fn localize(req: Request, next: Next) -> Response {
    let locale = Locale::from_header(req.headers().get(LOCALE_HEADER).and_then(|v| v.to_str().ok()));
    let resp = next.run(req).await;
    if locale == Locale::EnUs {
        return resp;
    }
    match resp.extensions().get::<ApiError>().cloned() {
        Some(err) => {
            let mut localized = err.render(locale);
            // Keep headers added on the way out (CORS, Vary...).
            for (name, value) in resp.headers() {
                if name != header::CONTENT_LENGTH && name != header::CONTENT_TYPE {
                    localized.headers_mut().insert(name.clone(), value.clone());
                }
            }
            localized
        }
        None => resp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_both_languages() {
        for code in ErrorCode::ALL {
            assert!(!text(code, Locale::EnUs).is_empty());
            assert!(!text(code, Locale::ZhCn).is_empty());
            assert_ne!(text(code, Locale::EnUs), text(code, Locale::ZhCn));
        }
        assert_eq!(Locale::from_header(Some("zh-CN")), Locale::ZhCn);
        assert_eq!(Locale::from_header(Some("fr")), Locale::EnUs);
    }
}
