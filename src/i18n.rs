//! Locales and every string the widget shows or announces.
//!
//! Pure logic, unit-tested natively.

use crate::protocol::ConversationEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    EnUs,
    ZhCn,
}

impl Locale {
    /// In declaration order, so `ALL[locale as usize] == locale`.
    pub const ALL: [Self; 2] = [Self::EnUs, Self::ZhCn];

    /// Accepts `en-US` and `zh-CN` in any case, and the bare languages
    /// (`en`, `zh`, `zh-TW` and other `zh-*` map to zh-CN).
    pub fn parse(s: &str) -> Option<Self> {
        // Bytes, not `split`: core's pattern machinery is larger in the wasm.
        let tag = s.trim().as_bytes();
        let language = &tag[..tag.iter().position(|&b| b == b'-' || b == b'_').unwrap_or(tag.len())];
        if language.eq_ignore_ascii_case(b"en") {
            Some(Self::EnUs)
        } else if language.eq_ignore_ascii_case(b"zh") {
            Some(Self::ZhCn)
        } else {
            None
        }
    }

    pub fn tag(self) -> &'static str {
        self.strings().lang
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Self::EnUs => &EN_US,
            Self::ZhCn => &ZH_CN,
        }
    }
}

/// The locale by the documented priority, highest first: `setLocale()` or
/// `init({locale})` > `data-locale` > query `locale` (these three arrive
/// merged as `configured`) > `localStorage['natter_locale']` > the site's
/// remote config > the browser's preferred language (`zh*` → zh-CN,
/// anything else → en-US). Only the first browser language counts: a
/// French reader who also lists Chinese gets English, as the seed documents.
pub fn resolve(
    configured: Option<Locale>,
    stored: Option<&str>,
    remote: Option<&str>,
    browser: Option<&str>,
) -> Locale {
    configured
        .or_else(|| stored.and_then(Locale::parse))
        .or_else(|| remote.and_then(Locale::parse))
        .or_else(|| browser.and_then(Locale::parse))
        .unwrap_or(Locale::EnUs)
}

/// Every visible string and accessible name.
pub struct Strings {
    /// The BCP 47 tag, for the `lang` attribute.
    pub lang: &'static str,
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    pub panel_label: &'static str,
    pub default_title: &'static str,
    pub online: &'static str,
    pub offline: &'static str,
    pub messages_label: &'static str,
    pub composer_label: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub sending: &'static str,
    pub not_sent: &'static str,
    pub retry: &'static str,
    pub agent: &'static str,
    pub you: &'static str,
    pub typing: &'static str,
    pub connecting: &'static str,
    pub polling: &'static str,
    pub offline_banner: &'static str,
    /// The server refused the handshake (see `Ui::show_unavailable`).
    pub unavailable_banner: &'static str,
    pub empty_message: &'static str,
    /// Followed by the limit, e.g. "Messages can be at most 4000 characters".
    pub too_long: &'static str,
    pub unread_one: &'static str,
    /// Followed by the count.
    pub unread_many: &'static str,
    /// The header's mute toggle (its state is `aria-pressed`).
    pub mute: &'static str,
    /// The preview bubble's close button.
    pub dismiss_preview: &'static str,
    /// The tab's title while unread messages wait: `(3) New message`.
    pub new_message: &'static str,
    // The conversation's life cycle: availability, the header menu, life-cycle
    // lines, the rating card.
    pub away: &'static str,
    /// Followed by the local time the site opens again.
    pub offline_until: &'static str,
    /// Under the composer while the site is offline, unless the site says.
    pub offline_note: &'static str,
    pub menu: &'static str,
    pub end_chat: &'static str,
    pub end_confirm: &'static str,
    pub end: &'static str,
    pub cancel: &'static str,
    pub you_ended: &'static str,
    /// After the agent's name.
    pub agent_ended: &'static str,
    pub closed: &'static str,
    /// After the agent's name.
    pub joined: &'static str,
    pub rate_csat: &'static str,
    pub rate_nps: &'static str,
    pub comment: &'static str,
    pub send_rating: &'static str,
    /// Followed by the score.
    pub thanks: &'static str,
    pub change: &'static str,
    /// Followed by the reason.
    pub rating_failed: &'static str,
}

static EN_US: Strings = Strings {
    lang: "en-US",
    open_chat: "Open chat",
    close_chat: "Close chat",
    panel_label: "Chat",
    default_title: "Chat with us",
    online: "Online · we usually reply in a few minutes",
    offline: "Offline · leave a message and we will get back to you",
    messages_label: "Messages",
    composer_label: "Message",
    placeholder: "Write a message…",
    send: "Send",
    sending: "Sending…",
    not_sent: "Not sent",
    retry: "Retry",
    agent: "Support",
    you: "You",
    typing: "is typing…",
    connecting: "Connecting…",
    polling: "Live updates are slow right now; messages still arrive.",
    offline_banner: "You are offline. Messages will be sent when you reconnect.",
    unavailable_banner: "Chat is unavailable right now. Your messages are kept and will be sent later.",
    empty_message: "Write something before sending.",
    too_long: "Messages can be at most this many characters:",
    unread_one: "1 unread message",
    unread_many: "Unread messages:",
    mute: "Mute new message sound",
    dismiss_preview: "Dismiss message preview",
    new_message: "New message",
    away: "Away · we will reply soon",
    offline_until: "Offline · back",
    offline_note: "We're away. Leave a message and we'll reply by email.",
    menu: "More options",
    end_chat: "End chat",
    end_confirm: "End this chat?",
    end: "End",
    cancel: "Cancel",
    you_ended: "You ended the chat.",
    agent_ended: "ended the chat.",
    closed: "The chat was closed.",
    joined: "joined the chat.",
    rate_csat: "How was this chat?",
    rate_nps: "How likely are you to recommend us?",
    comment: "Comment (optional)",
    send_rating: "Send rating",
    thanks: "Thanks for your rating:",
    change: "Change",
    rating_failed: "Your rating was not sent:",
};

static ZH_CN: Strings = Strings {
    lang: "zh-CN",
    open_chat: "打开聊天",
    close_chat: "关闭聊天",
    panel_label: "聊天",
    default_title: "在线客服",
    online: "在线 · 通常几分钟内回复",
    offline: "离线 · 请留言，我们会尽快回复",
    messages_label: "消息",
    composer_label: "消息",
    placeholder: "输入消息…",
    send: "发送",
    sending: "发送中…",
    not_sent: "未发送",
    retry: "重试",
    agent: "客服",
    you: "我",
    typing: "正在输入…",
    connecting: "正在连接…",
    polling: "实时连接较慢，消息仍会送达。",
    offline_banner: "网络已断开，恢复后将自动发送消息。",
    unavailable_banner: "客服暂时无法使用，您的消息已保存，稍后将自动发送。",
    empty_message: "请输入内容后再发送。",
    too_long: "消息最多可包含的字符数：",
    unread_one: "1 条未读消息",
    unread_many: "未读消息数：",
    mute: "新消息提示音静音",
    dismiss_preview: "关闭消息预览",
    new_message: "条新消息",
    away: "暂时离开 · 我们会尽快回复",
    offline_until: "离线 · 恢复时间",
    offline_note: "我们暂时不在。请留言，我们会通过邮件回复您。",
    menu: "更多选项",
    end_chat: "结束对话",
    end_confirm: "要结束这次对话吗？",
    end: "结束",
    cancel: "取消",
    you_ended: "您结束了对话。",
    agent_ended: "结束了对话。",
    closed: "对话已关闭。",
    joined: "加入了对话。",
    rate_csat: "您对本次对话满意吗？",
    rate_nps: "您向朋友推荐我们的可能性有多大？",
    comment: "评论（可选）",
    send_rating: "提交评价",
    thanks: "感谢您的评价：",
    change: "修改",
    rating_failed: "评价未能提交：",
};

impl Strings {
    /// The line a life-cycle `system` message shows, by its event, in this
    /// locale; `None` for a message without one (its text is shown).
    pub fn event_line(&self, event: Option<ConversationEvent>, agent_name: Option<&str>) -> Option<String> {
        let agent = agent_name.unwrap_or(self.agent);
        Some(match event? {
            ConversationEvent::Joined => [agent, " ", self.joined].concat(),
            ConversationEvent::EndedByVisitor => self.you_ended.into(),
            ConversationEvent::EndedByAgent => [agent, " ", self.agent_ended].concat(),
            ConversationEvent::EndedBySystem => self.closed.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tags_and_languages() {
        assert_eq!(Locale::parse("zh-CN"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("zh-TW"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("ZH_hans"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("en-GB"), Some(Locale::EnUs));
        assert_eq!(Locale::parse("fr-FR"), None);
        assert_eq!(Locale::parse(""), None);
        assert_eq!(Locale::parse(" EN "), Some(Locale::EnUs));
        assert_eq!(Locale::parse("eng"), None);
        assert_eq!(Locale::parse("-zh"), None);
    }

    #[test]
    fn priority_chain() {
        // configured wins over everything
        assert_eq!(resolve(Some(Locale::EnUs), Some("zh-CN"), Some("zh-CN"), Some("zh-CN")), Locale::EnUs);
        // then storage, then remote
        assert_eq!(resolve(None, Some("zh-CN"), Some("en-US"), None), Locale::ZhCn);
        assert_eq!(resolve(None, Some("garbage"), Some("zh-CN"), None), Locale::ZhCn);
        // then the browser's preferred language: zh* is Chinese
        assert_eq!(resolve(None, None, None, Some("zh-HK")), Locale::ZhCn);
        assert_eq!(resolve(None, None, None, Some("zh")), Locale::ZhCn);
        // anything else is English, even when Chinese comes later in the list
        assert_eq!(resolve(None, None, None, Some("fr")), Locale::EnUs);
        assert_eq!(resolve(None, None, None, None), Locale::EnUs);
    }

    #[test]
    fn life_cycle_events_have_their_own_lines() {
        use ConversationEvent::*;
        let (en, zh) = (Locale::EnUs.strings(), Locale::ZhCn.strings());
        assert_eq!(en.event_line(Some(Joined), Some("Ada")).as_deref(), Some("Ada joined the chat."));
        assert_eq!(zh.event_line(Some(EndedByAgent), Some("Ada")).as_deref(), Some("Ada 结束了对话。"));
        assert_eq!(en.event_line(Some(EndedByAgent), None).as_deref(), Some("Support ended the chat."));
        assert_eq!(en.event_line(Some(EndedByVisitor), None).as_deref(), Some("You ended the chat."));
        assert_eq!(zh.event_line(Some(EndedBySystem), None).as_deref(), Some("对话已关闭。"));
        assert_eq!(en.event_line(None, Some("Ada")), None);
    }

    #[test]
    fn every_string_is_translated() {
        let fields = |s: &Strings| {
            [
                s.open_chat,
                s.close_chat,
                s.panel_label,
                s.default_title,
                s.online,
                s.offline,
                s.messages_label,
                s.composer_label,
                s.placeholder,
                s.send,
                s.sending,
                s.not_sent,
                s.retry,
                s.agent,
                s.you,
                s.typing,
                s.connecting,
                s.polling,
                s.offline_banner,
                s.unavailable_banner,
                s.empty_message,
                s.too_long,
                s.unread_one,
                s.unread_many,
                s.mute,
                s.dismiss_preview,
                s.new_message,
                s.away,
                s.offline_until,
                s.offline_note,
                s.menu,
                s.end_chat,
                s.end_confirm,
                s.end,
                s.cancel,
                s.you_ended,
                s.agent_ended,
                s.closed,
                s.joined,
                s.rate_csat,
                s.rate_nps,
                s.comment,
                s.send_rating,
                s.thanks,
                s.change,
                s.rating_failed,
            ]
        };
        for (en, zh) in fields(&EN_US).iter().zip(fields(&ZH_CN)) {
            assert!(!en.is_empty() && !zh.is_empty());
            assert_ne!(*en, zh, "untranslated: {en}");
        }
    }
}
