import Articles
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a send failed; `permanent` makes the delivery dead, `temporary` retries later (SPEC 6.2).
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case permanent, temporary }
    public var kind: Kind
    /// What happened, e.g. "cannot append to /var/mail/x: Permission denied" or the
    /// server's reply "550 5.1.1 <x@example.com>: no such user" — no secrets. Kept as
    /// the delivery's `last_error`.
    public var message: String
    /// The transport cannot deliver anything now (the server is down, refuses the
    /// login, …): the next message would fail the same way, so the dispatcher leaves
    /// the remaining deliveries due for the next run instead of trying each one.
    public var stopsRun: Bool
    /// False when the failure is the operator's, not the message's (SPEC 6.2: a 5xx to
    /// `MAIL FROM`, the same envelope sender for every message): no attempt is counted.
    public var countsAttempt: Bool

    public init(_ kind: Kind, _ message: String, stopsRun: Bool = false, countsAttempt: Bool = true) {
        self.kind = kind
        self.message = message
        self.stopsRun = stopsRun
        self.countsAttempt = countsAttempt
    }

    public var description: String { message }

    static func errno(_ what: String, _ code: Int32? = nil) -> TransportFailure {
        TransportFailure(.temporary, "\(what): \(String(cString: strerror(code ?? currentErrno())))")
    }
}

/// Hands rendered messages to a mail system. One instance is used by one task at a time.
public protocol MailTransport: AnyObject {
    /// Sends (or durably queues) one message to its `recipients`.
    func send(_ email: RenderedEmail, envelopeFrom: String) throws(TransportFailure)
    /// Makes every message sent so far durable (or handed over): the dispatcher marks
    /// deliveries as delivered only after this returns.
    func flush() throws(TransportFailure)
    /// Flushes and syncs whatever is buffered; the transport is not used afterwards.
    func close() throws(TransportFailure)
    /// True when a `send` that returns has handed the message over for good (SMTP's
    /// reply to the data, sendmail's exit status): the dispatcher then records each
    /// delivery as soon as it is sent, so a crash repeats at most the one in flight.
    /// False (mbox, stdout): deliveries are recorded after `flush`.
    var confirmsEachMessage: Bool { get }
    /// True when the transport writes messages in mbox form (`RenderedEmail.mboxText`).
    var wantsMboxText: Bool { get }
    /// The Message-IDs of the messages at the end of the destination that a run killed
    /// after writing them, before recording them, left there; nil when the destination
    /// cannot be read back (a pipe, a server). The dispatcher records those as delivered
    /// instead of sending them again (SPEC 6.4).
    func messagesWrittenBefore() -> Set<String>?
}

extension MailTransport {
    public var confirmsEachMessage: Bool { false }
    public var wantsMboxText: Bool { false }
    public func messagesWrittenBefore() -> Set<String>? { nil }
}

/// The mbox stream format (mboxrd): a `From ` line, the message with every line that
/// matches `^>*From ` quoted with one more `>`, and an empty line.
public enum MboxFormat {
    /// Appends one message to `buffer`. `date` is the time on the `From ` line.
    public static func append(_ email: RenderedEmail, envelopeFrom: String, date: Date, to buffer: inout [UInt8]) {
        var sender = TextCleaning.token(envelopeFrom)
        if sender.isEmpty { sender = "MAILER-DAEMON" }
        // Grow geometrically: MboxTransport appends a whole batch to one buffer.
        let needed = buffer.count + email.bytes.count + 128
        if buffer.capacity < needed { buffer.reserveCapacity(max(needed, buffer.capacity * 2)) }
        buffer.append(utf8: "From ")
        buffer.append(utf8: sender)
        buffer.append(0x20)
        CivilTime(date).appendAsctime(to: &buffer)
        buffer.append(0x0A)
        if let text = email.mboxText {
            buffer.append(contentsOf: text)
        } else {
            email.bytes.withUnsafeBufferPointer { appendQuoted($0, to: &buffer) }
        }
    }

    /// The message after its `From ` line: what `append` writes, for `RenderedEmail.mboxText`.
    public static func quoted(_ bytes: [UInt8]) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count + 2)
        bytes.withUnsafeBufferPointer { appendQuoted($0, to: &text) }
        return text
    }

    /// The message line by line (found with memchr): a line matching `^>*From ` gets
    /// one more `>` and CR LF becomes LF; the message ends with a line end and an empty
    /// line. The bytes between such changes (usually the whole message) are copied at once.
    static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8]) {
        var copyFrom = 0
        var lineStart = 0
        while lineStart < bytes.count {
            let lineEnd = Bytes.index(of: 0x0A, in: bytes, from: lineStart)
            if isFromLine(bytes, lineStart..<lineEnd) {
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copyFrom..<lineStart]))
                buffer.append(UInt8(ascii: ">"))
                copyFrom = lineStart
            }
            if lineEnd < bytes.count && lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D {
                // CR LF -> LF: mbox files use the local convention.
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copyFrom..<(lineEnd - 1)]))
                copyFrom = lineEnd
            }
            lineStart = lineEnd + 1
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copyFrom...]))
        if let last = bytes.last, last != 0x0A { buffer.append(0x0A) }
        buffer.append(0x0A)
    }

    /// Does the line match `^>*From `?
    @inline(__always)
    private static func isFromLine(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
        var probe = line.lowerBound
        while probe < line.upperBound && bytes[probe] == UInt8(ascii: ">") { probe += 1 }
        return probe + 5 <= line.upperBound && bytes[probe] == UInt8(ascii: "F") && bytes[probe + 1] == UInt8(ascii: "r")
            && bytes[probe + 2] == UInt8(ascii: "o") && bytes[probe + 3] == UInt8(ascii: "m") && bytes[probe + 4] == 0x20
    }
}

private func currentErrno() -> Int32 { errno }

private func closeDescriptor(_ fd: Int32) { _ = close(fd) }

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { raw in
            write(fd, raw.baseAddress! + offset, raw.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += written
    }
    return nil
}

/// `mbox:PATH`: appends messages to an mbox file, holding an exclusive `flock` while
/// writing (mail readers and other writers that lock see whole messages only).
/// Messages are collected in memory and written at `flush` (or once 4 MiB are
/// waiting), a few writes per batch instead of five system calls per message.
/// Creates the file (mode 0600) when missing; `flush` and `close` fsync. Failures are
/// temporary: none of them is the message's fault.
public final class MboxTransport: MailTransport {
    public let path: String
    private var fd: Int32
    /// Whole messages in mbox form, sent but not yet written.
    private var pending: [UInt8] = []
    /// A write that failed since the last flush: the messages of the batch written
    /// before it are not durable for sure, so `flush` reports the whole batch failed.
    private var writeFailure: TransportFailure?
    private static let writeThreshold = 4 << 20
    public var wantsMboxText: Bool { true }

    public init(path: String) throws(TransportFailure) {
        self.path = path
        fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw TransportFailure.errno("cannot open \(path)") }
    }

    deinit {
        if fd >= 0 { closeDescriptor(fd) }
    }

    public func send(_ email: RenderedEmail, envelopeFrom: String) throws(TransportFailure) {
        guard fd >= 0 else { throw TransportFailure(.temporary, "\(path): the transport is closed") }
        if let writeFailure { throw writeFailure }
        MboxFormat.append(email, envelopeFrom: envelopeFrom, date: Date(), to: &pending)
        if pending.count >= Self.writeThreshold {
            do throws(TransportFailure) {
                try writePending()
            } catch {
                writeFailure = error
                throw error
            }
        }
    }

    /// Appends the pending messages under the lock, after repairing a tail that an
    /// earlier writer left without its final empty line.
    private func writePending() throws(TransportFailure) {
        guard !pending.isEmpty else { return }
        defer { pending.removeAll(keepingCapacity: true) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { throw TransportFailure.errno("cannot lock \(path)") }
        }
        defer { _ = flock(fd, LOCK_UN) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw TransportFailure.errno("cannot append to \(path)") }
        let size = status.st_size
        // A message must start a line after an empty line, even if an earlier writer died mid-message.
        var prefix: [UInt8] = []
        if size > 0 {
            var tail: [UInt8] = [0, 0]
            let count = min(Int(size), 2)
            let read = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(size) - off_t(count)) }
            if read == count {
                let last = tail[count - 1], previous = count == 2 ? tail[0] : 0x0A
                prefix = last != 0x0A ? [0x0A, 0x0A] : (previous != 0x0A ? [0x0A] : [])
            }
        }
        if let code = writeAll(fd, prefix) ?? writeAll(fd, pending) {
            _ = ftruncate(fd, size)  // no half message left behind
            throw TransportFailure.errno("cannot append to \(path)", code)
        }
    }

    public func flush() throws(TransportFailure) {
        guard fd >= 0 else { return }
        defer { writeFailure = nil }
        if let writeFailure {
            pending.removeAll(keepingCapacity: true)
            throw writeFailure
        }
        try writePending()
        if fsync(fd) != 0 { throw TransportFailure.errno("cannot sync \(path)") }
    }

    public func close() throws(TransportFailure) {
        guard fd >= 0 else { return }
        defer {
            closeDescriptor(fd)
            fd = -1
        }
        try flush()
    }

    /// How far back `messagesWrittenBefore` reads: more than the dispatcher can leave
    /// unrecorded (two chunks) unless messages average over 64 KiB.
    static let readBack = 32 << 20

    /// The Message-IDs of the complete messages in the mbox's last `readBack` bytes. A
    /// message is complete when the next one's `From ` line follows it (mboxrd quotes
    /// every such line inside a message), so the last message of the file never counts:
    /// a kill may have cut it short, and it is sent again.
    public func messagesWrittenBefore() -> Set<String>? {
        guard fd >= 0 else { return [] }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_size > 0 else { return [] }
        let size = Int(status.st_size)
        let start = max(0, size - Self.readBack)
        var tail = [UInt8](repeating: 0, count: size - start)
        let read = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(start)) }
        guard read == tail.count else { return [] }
        return MboxFormat.completeMessageIDs(in: tail, atFileStart: start == 0)
    }
}

extension MboxFormat {
    /// Message-IDs of the messages in `bytes` (part of an mbox; from its first byte when
    /// `atFileStart`) that the next message's `From ` line follows.
    static func completeMessageIDs(in bytes: [UInt8], atFileStart: Bool) -> Set<String> {
        // Where messages start: the file's start, and every `From ` after an empty line.
        var starts: [Int] = []
        if atFileStart, bytes.starts(with: "From ".utf8) { starts.append(0) }
        let from = Array("From ".utf8)
        bytes.withUnsafeBufferPointer { buffer in
            // Line ends found with memchr (a vectorised scan of up to `readBack` bytes).
            var index = Bytes.index(of: 0x0A, in: buffer, from: 0)
            while index + 1 + from.count <= buffer.count {
                if buffer[index + 1] == 0x0A, buffer[(index + 2)...].starts(with: from) { starts.append(index + 2) }
                index = Bytes.index(of: 0x0A, in: buffer, from: index + 1)
            }
        }
        var ids: Set<String> = []
        let header = Array("\nMessage-ID: ".utf8)
        for (position, start) in starts.enumerated().dropLast() {
            let end = starts[position + 1]
            // The header block: up to the first empty line.
            var headerEnd = start
            while headerEnd + 1 < end, !(bytes[headerEnd] == 0x0A && bytes[headerEnd + 1] == 0x0A) { headerEnd += 1 }
            guard let found = bytes[start..<headerEnd].firstRange(of: header) else { continue }
            var idEnd = found.upperBound
            while idEnd < headerEnd, bytes[idEnd] != 0x0A { idEnd += 1 }
            let id = String(decoding: bytes[found.upperBound..<idEnd], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            if !id.isEmpty { ids.insert(id) }
        }
        return ids
    }
}

/// `stdout`: an mbox stream on standard output (so `critfix run | formail -s sendmail -t`
/// works), buffered and flushed when the buffer grows large and at `close`.
public final class StdoutTransport: MailTransport {
    private var buffer: [UInt8] = []
    private let fd: Int32
    private static let flushThreshold = 256 * 1024
    public var wantsMboxText: Bool { true }

    public init() { fd = STDOUT_FILENO }

    /// For tests: writes to `fileDescriptor` instead of standard output (not closed).
    public init(fileDescriptor: Int32) { fd = fileDescriptor }

    public func send(_ email: RenderedEmail, envelopeFrom: String) throws(TransportFailure) {
        MboxFormat.append(email, envelopeFrom: envelopeFrom, date: Date(), to: &buffer)
        if buffer.count >= Self.flushThreshold { try flush() }
    }

    public func flush() throws(TransportFailure) {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        if let code = writeAll(fd, buffer) { throw TransportFailure.errno("cannot write to standard output", code) }
    }

    public func close() throws(TransportFailure) {
        try flush()
        // A pipe or terminal cannot be synced; a redirected file can.
        if fsync(fd) != 0 && errno != EINVAL && errno != EROFS && errno != ENOTSUP {
            throw TransportFailure.errno("cannot sync standard output")
        }
    }
}
