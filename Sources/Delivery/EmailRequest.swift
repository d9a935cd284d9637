public import Articles
public import Configuration
public import Foundation
public import Matching

/// Everything needed to render one email: one notification, or a digest of several.
public struct EmailRequest: Sendable {
    /// Full, with angle brackets: `<...@...>`, computed by the caller and stable per delivery.
    public var messageID: String
    /// Message-ID of the first notification of this article to this contact (a new
    /// revision threads under it); nil otherwise.
    public var inReplyTo: String?
    /// The Date header (the caller passes the delivery's creation time, so a re-send is identical).
    public var date: Date
    public var from: Mailbox
    public var contact: Contact
    public var customer: Customer
    /// Exactly 1 unless digest; in dispatch order. A request that is not a digest but
    /// carries zero or several notifications is rendered as a digest.
    public var notifications: [Matching.Notification]
    public var isDigest: Bool

    public init(
        messageID: String, inReplyTo: String? = nil, date: Date, from: Mailbox, contact: Contact,
        customer: Customer, notifications: [Matching.Notification], isDigest: Bool
    ) {
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.date = date
        self.from = from
        self.contact = contact
        self.customer = customer
        self.notifications = notifications
        self.isDigest = isDigest
    }
}

/// A rendered RFC 5322 message, lines ending in "\n" (transports convert to CRLF
/// where a protocol needs it).
public struct RenderedEmail: Sendable {
    public var bytes: [UInt8]
    /// Envelope recipients (the contact's address).
    public var recipients: [String]
    public var messageID: String
    /// The message as an mbox holds it (`MboxFormat.quoted`), when the transport wants
    /// that form (`MailTransport.wantsMboxText`): made on the rendering threads, so the
    /// sending thread only copies it.
    public var mboxText: [UInt8]?

    public init(bytes: [UInt8], recipients: [String], messageID: String) {
        self.bytes = bytes
        self.recipients = recipients
        self.messageID = messageID
    }
}

/// A template that cannot be used: names the file (and line, when known) and what is wrong.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    /// The file: a path in the operator's directory, or `built-in NAME`.
    public var file: String
    /// 1-based; 0 when the problem is not on one line (unreadable file, …).
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)"
    }
}
