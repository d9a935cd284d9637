internal import CCurl
public import Configuration
internal import Curl
import Foundation

/// `smtp://HOST[:PORT]` (STARTTLS when the server offers it) and `smtps://HOST[:PORT]`
/// (TLS from the start), through libcurl.
///
/// One libcurl handle serves the whole run, so every message after the first goes
/// over the same connection (libcurl keeps it open between transfers; a failed
/// transfer closes it and the next message opens a new one). Each message has its
/// own envelope: `MAIL FROM` the envelope sender, one `RCPT TO` per recipient.
///
/// Failures (SPEC 6.2), with the server's reply as the reason:
/// - 5xx to `RCPT TO`, `DATA` or the end of the data: permanent for this message; 4xx
///   to them: temporary for this message.
/// - 5xx to `MAIL FROM`: the envelope sender is refused, which is the operator's problem
///   and every message's: email stops for the run, and no attempt is counted.
/// - anything the next message would hit as well — a refused connection, a TLS or
///   network failure, a greeting or `EHLO` that is not 2xx, failed authentication,
///   `530` (authentication required) or a 4xx to `MAIL FROM`, `421` anywhere — is
///   temporary and `stopsRun`: the dispatcher leaves the remaining deliveries due
///   instead of trying each one against a server that is down.
///
/// The password is handed to libcurl only; no message of this type contains it.
public final class SMTPTransport: MailTransport {
    /// `smtp://host:port` as configured (holds no credentials: the configuration refuses them).
    public let url: String
    private let easy: CurlEasy
    let exchange = SMTPExchange()
    private let credentials: SMTPCredentials?

    /// - Parameters:
    ///   - url: `smtp://HOST[:PORT]` or `smtps://HOST[:PORT]`.
    ///   - credentials: for `AUTH`, from the environment; nil: no authentication.
    ///   - caFile: a CA bundle trusted instead of the system's (an internal CA).
    ///   - connectTimeout: seconds to wait for the TCP and TLS connection.
    ///   - responseTimeout: seconds to wait for each reply of the server.
    public init(
        url: String, credentials: SMTPCredentials? = nil, caFile: String? = nil,
        connectTimeout: Int = 30, responseTimeout: Int = 120
    ) throws(TransportFailure) {
        self.url = url
        self.credentials = credentials
        do {
            easy = try CurlEasy()
        } catch {
            throw TransportFailure(.temporary, "SMTP: \(error.message)", stopsRun: true)
        }
        easy.set(CURLOPT_URL, url)
        easy.set(CURLOPT_PROTOCOLS_STR, "smtp,smtps")
        easy.set(CURLOPT_UPLOAD, true)
        // STARTTLS when the server offers it; smtps:// is TLS from the start regardless.
        easy.set(CURLOPT_USE_SSL, Int(CURLUSESSL_TRY.rawValue))
        if let caFile { easy.set(CURLOPT_CAINFO, caFile) }
        if let credentials {
            easy.set(CURLOPT_USERNAME, credentials.username)
            easy.set(CURLOPT_PASSWORD, credentials.password)
        }
        easy.set(CURLOPT_CONNECTTIMEOUT, connectTimeout)
        easy.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, responseTimeout)
        easy.set(CURLOPT_TCP_KEEPALIVE, true)
        let context = Unmanaged.passUnretained(exchange).toOpaque()
        easy.setRead { buffer, size, count, context in
            guard let buffer, let context else { return 0 }
            return Unmanaged<SMTPExchange>.fromOpaque(context).takeUnretainedValue().read(into: buffer, max: size * count)
        }
        easy.set(CURLOPT_READDATA, pointer: context)
        // libcurl hands every reply line of the server to the header callback.
        easy.setWrite(CURLOPT_HEADERFUNCTION) { bytes, size, count, context in
            guard let bytes, let context else { return 0 }
            let length = size * count
            Unmanaged<SMTPExchange>.fromOpaque(context).takeUnretainedValue().replyLine(bytes, length)
            return length
        }
        easy.set(CURLOPT_HEADERDATA, pointer: context)
    }

    public var confirmsEachMessage: Bool { true }

    /// The server as `host:port`, for messages.
    var server: String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        while rest.last == "/" { rest.removeLast() }
        return String(rest)
    }

    public func send(_ email: RenderedEmail, envelopeFrom: String) throws(TransportFailure) {
        exchange.start(SMTPTransport.crlf(email.bytes))
        easy.set(CURLOPT_MAIL_FROM, "<\(TextCleaning.token(envelopeFrom))>")
        let recipients = CurlStringList(email.recipients.map { "<\(TextCleaning.token($0))>" })
        easy.set(CURLOPT_MAIL_RCPT, list: recipients)
        defer {
            easy.set(CURLOPT_MAIL_RCPT, pointer: nil)
            withExtendedLifetime(recipients) {}
        }
        do {
            try easy.perform()
        } catch {
            throw failure(error, code: easy.info(CURLINFO_RESPONSE_CODE))
        }
    }

    public func flush() throws(TransportFailure) {}

    /// The connection is closed (with `QUIT`) when the transport is released.
    public func close() throws(TransportFailure) {}

    // MARK: Failures

    enum Stage: Equatable { case connection, mailFrom, recipient, data, endOfData }

    /// Classifies a failed transfer by the command that failed and the reply's code.
    func failure(_ error: CurlError, code: Int) -> TransportFailure {
        let stage = Self.stage(of: error, uploadFinished: exchange.uploadFinished)
        // libcurl may have said QUIT since: the reply that failed carries the code it reports.
        let reply = exchange.reply(code: code)
        let shown = reply.isEmpty ? error.message : reply
        switch stage {
        case .recipient, .data, .endOfData, .mailFrom:
            let what: String
            switch stage {
            case .recipient: what = "recipient refused"
            case .mailFrom: what = "sender refused"
            case .data: what = "DATA refused"
            default: what = "message refused"
            }
            if code == 421 || (stage == .mailFrom && (code == 530 || (400..<500).contains(code))) {
                var message = "SMTP server \(server): \(shown)"
                if code == 530 {
                    message += credentials == nil
                        ? " (the server requires authentication: name the credentials' environment variables in email.username_env and email.password_env)"
                        : " (the server did not accept the authentication)"
                }
                return TransportFailure(.temporary, message, stopsRun: true)
            }
            if stage == .mailFrom, (500..<600).contains(code) {
                // The envelope sender is the same for every message: the operator's to fix.
                return TransportFailure(
                    .temporary,
                    "SMTP server \(server) refused the envelope sender (email.envelope_from, else email.from): \(shown)",
                    stopsRun: true, countsAttempt: false)
            }
            if (500..<600).contains(code) {
                return TransportFailure(.permanent, reply.isEmpty ? "\(what): \(code)" : reply)
            }
            if (400..<500).contains(code) {
                return TransportFailure(.temporary, reply.isEmpty ? "\(what): \(code)" : reply)
            }
            return TransportFailure(.temporary, "SMTP server \(server): \(shown)", stopsRun: true)
        case .connection:
            return TransportFailure(.temporary, connectionMessage(error, reply: reply, code: code), stopsRun: true)
        }
    }

    static func stage(of error: CurlError, uploadFinished: Bool) -> Stage {
        // libcurl's own words for the commands of one message (lib/smtp.c).
        if error.code == CURLE_SEND_ERROR || error.code == CURLE_WEIRD_SERVER_REPLY {
            if error.message.hasPrefix("RCPT failed") { return .recipient }
            if error.message.hasPrefix("MAIL failed") { return .mailFrom }
            if error.message.hasPrefix("DATA failed") { return .data }
            if error.code == CURLE_WEIRD_SERVER_REPLY && uploadFinished { return .endOfData }
        }
        return .connection
    }

    private func connectionMessage(_ error: CurlError, reply: String, code: Int) -> String {
        var message = "SMTP server \(server): \(error.message)"
        let curlCode = error.code
        if curlCode == CURLE_LOGIN_DENIED {
            message = "SMTP server \(server): authentication failed"
            if !reply.isEmpty { message += ": \(reply)" }
            if let credentials { message += " (check the user and password in $\(credentials.usernameEnv) and $\(credentials.passwordEnv))" }
        } else if curlCode == CURLE_PEER_FAILED_VERIFICATION || curlCode == CURLE_SSL_CACERT_BADFILE
            || curlCode == CURLE_SSL_CERTPROBLEM
        {
            message += " (to trust an internal CA, name its certificate in email.ca_file)"
        } else if curlCode == CURLE_COULDNT_CONNECT || curlCode == CURLE_COULDNT_RESOLVE_HOST
            || curlCode == CURLE_OPERATION_TIMEDOUT
        {
            message += " (is the mail server running, and is email.transport right?)"
        } else if !reply.isEmpty && !message.contains(reply) {
            message += ": \(reply)"
        }
        return message
    }

    /// The message with every line ending in CR LF, as SMTP requires (libcurl does
    /// the dot-stuffing).
    static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 30 + 2)
        var previous: UInt8 = 0
        for byte in bytes {
            if byte == 0x0A && previous != 0x0D { out.append(0x0D) }
            out.append(byte)
            previous = byte
        }
        if previous != 0x0A {
            out.append(0x0D)
            out.append(0x0A)
        }
        return out
    }
}

/// What libcurl's callbacks read and write during one transfer: the message being
/// uploaded and the server's last reply. Used by one transfer at a time, on the
/// thread that runs it.
final class SMTPExchange {
    private var upload: [UInt8] = []
    private var offset = 0
    private var replyLines: [String] = []
    private var replyComplete = true
    /// The last few complete (possibly multi-line) replies of the server, each one's
    /// lines joined with a space, newest last.
    private(set) var replies: [String] = []

    var uploadFinished: Bool { !upload.isEmpty && offset >= upload.count }

    func start(_ bytes: [UInt8]) {
        upload = bytes
        offset = 0
        replyLines = []
        replyComplete = true
        replies = []
    }

    /// The newest reply with this code, else the newest reply.
    func reply(code: Int) -> String {
        let prefix = String(code)
        return replies.last { $0.hasPrefix(prefix) } ?? replies.last ?? ""
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        let count = min(max, upload.count - offset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }

    func replyLine(_ bytes: UnsafePointer<CChar>, _ length: Int) {
        let raw = UnsafeRawBufferPointer(start: UnsafeRawPointer(bytes), count: min(length, 1000))
        let line = TextCleaning.line(String(decoding: raw, as: UTF8.self), maxCharacters: 500)
        if replyComplete { replyLines = [] }
        if replyLines.count < 8 { replyLines.append(line) }
        // "250-…" continues a reply, "250 …" ends it.
        let utf8 = Array(line.utf8.prefix(4))
        replyComplete = !(utf8.count == 4 && utf8[3] == UInt8(ascii: "-"))
        guard replyComplete, let first = replyLines.first else { return }
        // The code once, then the text of every line.
        let code = String(first.prefix(3))
        let text = replyLines.map { String($0.dropFirst(4)) }.filter { !$0.isEmpty }.joined(separator: " ")
        if replies.count >= 4 { replies.removeFirst() }
        replies.append(text.isEmpty ? code : code + " " + text)
    }
}
