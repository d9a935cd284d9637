internal import CCurl
import Glibc

/// One HTTP POST to make.
public struct PostRequest: Sendable {
    /// The caller's handle on this request, handed back with its response.
    public var tag: Int
    public var url: String
    /// Complete header lines (`Name: value`).
    public var headers: [String]
    public var body: [UInt8]

    public init(tag: Int, url: String, headers: [String], body: [UInt8]) {
        self.tag = tag
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What came back from one POST: a status, or why none came.
public struct PostResponse: Sendable {
    public var tag: Int
    /// The HTTP status when a response came (whatever the status).
    public var status: Int?
    /// The reason phrase of the status line.
    public var statusText: String?
    /// The `Retry-After` header as sent.
    public var retryAfter: String?
    /// The transfer failed before a complete response: libcurl's reason.
    public var error: CurlError?
    /// The connection was refused by the address policy: the address and why.
    public var refusedAddress: String?
}

/// Makes many HTTP POSTs at once from one thread, through libcurl's multi interface.
///
/// One thread with the multi interface rather than a pool of threads each with its own
/// easy handle: the work per request is tiny next to the waiting, one event loop keeps
/// `concurrency` transfers in flight without locks or thread hand-offs, connections are
/// shared across transfers to the same host, and the caller (which signs each request
/// and records outcomes in the state store) stays single-threaded too.
///
/// Redirects are never followed, proxies from the environment are not used (the address
/// check must see the real target), and unless `allowPrivateAddresses` every connection
/// is checked at the moment libcurl opens its socket, so a host name that resolves (or
/// re-resolves) to a loopback, private or link-local address is refused before any
/// byte is sent.
public final class ConcurrentPoster {
    public struct Settings: Sendable {
        public var concurrency: Int
        /// Seconds for each whole transfer.
        public var timeout: Double
        public var caFile: String?
        public var allowPrivateAddresses: Bool
        public var userAgent: String

        public init(concurrency: Int, timeout: Double, caFile: String?, allowPrivateAddresses: Bool, userAgent: String) {
            self.concurrency = concurrency
            self.timeout = timeout
            self.caFile = caFile
            self.allowPrivateAddresses = allowPrivateAddresses
            self.userAgent = userAgent
        }
    }

    /// The largest response body read; the rest is not waited for (only the status counts).
    static let maxResponseBody = 64 << 10

    public let settings: Settings
    /// Connections open to one host at once (see init).
    public static let connectionsPerHost = 6
    private let multi: CurlMulti
    private var idle: [CurlEasy] = []
    private var running: [UnsafeMutableRawPointer: PostTransfer] = [:]

    public init(_ settings: Settings) throws(CurlError) {
        self.settings = settings
        multi = try CurlMulti()
        let concurrency = max(settings.concurrency, 1)
        // Connections kept open for reuse: one per transfer slot.
        multi.set(CURLMOPT_MAXCONNECTS, concurrency)
        // At most a few connections to one host at a time, as browsers do: a burst of new
        // connections overflows a small server's listen queue (Python's http.server keeps
        // 5), and each dropped SYN costs the 1 s of TCP's first retransmission.
        multi.set(CURLMOPT_MAX_HOST_CONNECTIONS, ConcurrentPoster.connectionsPerHost)
        for _ in 0..<concurrency { idle.append(try CurlEasy()) }
    }

    /// Room for more transfers.
    public var hasRoom: Bool { !idle.isEmpty }
    public var inFlight: Int { running.count }

    /// Starts `request`; false (with no transfer started) when there is no room.
    @discardableResult
    public func start(_ request: PostRequest) -> Bool {
        guard let easy = idle.popLast() else { return false }
        let transfer = PostTransfer(easy: easy, request: request, allowPrivate: settings.allowPrivateAddresses)
        easy.reset()
        easy.set(CURLOPT_URL, request.url)
        easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_FOLLOWLOCATION, 0)
        easy.set(CURLOPT_PROXY, "")
        easy.set(CURLOPT_USERAGENT, settings.userAgent)
        let milliseconds = max(Int(settings.timeout * 1000), 1)
        easy.set(CURLOPT_TIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        if let caFile = settings.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        easy.set(CURLOPT_POST, 1)
        easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: Int64(transfer.body.count))
        easy.set(CURLOPT_POSTFIELDS, pointer: transfer.body.baseAddress)
        easy.set(CURLOPT_HTTPHEADER, list: transfer.headers)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        easy.setWrite(CURLOPT_HEADERFUNCTION, PostTransfer.headerCallback)
        easy.set(CURLOPT_HEADERDATA, pointer: context)
        easy.setWrite(CURLOPT_WRITEFUNCTION, PostTransfer.writeCallback)
        easy.set(CURLOPT_WRITEDATA, pointer: context)
        critfix_easy_setopt_opensocket(easy.handle, PostTransfer.openSocketCallback)
        easy.set(CURLOPT_OPENSOCKETDATA, pointer: context)
        guard multi.add(easy) else {
            var response = PostResponse(tag: request.tag)
            response.error = CurlError(code: CURLE_FAILED_INIT, message: "libcurl could not start the transfer")
            idle.append(easy)
            finished.append(response)
            return true
        }
        running[easy.handle] = transfer
        return true
    }

    private var finished: [PostResponse] = []

    /// Moves the transfers on, waiting at most `milliseconds` for one of them, and returns
    /// those that finished.
    public func wait(milliseconds: Int) -> [PostResponse] {
        if finished.isEmpty && !running.isEmpty {
            multi.perform()
            if !collect() {
                multi.poll(milliseconds: milliseconds)
                multi.perform()
                _ = collect()
            }
        }
        defer { finished.removeAll(keepingCapacity: true) }
        return finished
    }

    /// Moves finished transfers to `finished`; true when there was one.
    private func collect() -> Bool {
        var any = false
        while let (handle, result) = multi.nextDone() {
            guard let transfer = running.removeValue(forKey: handle) else { continue }
            multi.remove(transfer.easy)
            finished.append(transfer.response(result))
            idle.append(transfer.easy)
            any = true
        }
        return any
    }
}

/// The state of one POST, reached from libcurl's callbacks.
private final class PostTransfer {
    let easy: CurlEasy
    let tag: Int
    let allowPrivate: Bool
    let body: UnsafeMutableBufferPointer<UInt8>
    let headers: CurlStringList
    var status: Int?
    var statusText: String?
    var retryAfter: String?
    var bodyBytes = 0
    var bodyCut = false
    var refused: String?

    init(easy: CurlEasy, request: PostRequest, allowPrivate: Bool) {
        self.easy = easy
        tag = request.tag
        self.allowPrivate = allowPrivate
        body = .allocate(capacity: max(request.body.count, 1))
        _ = body.initialize(from: request.body)
        // "Expect:" stops libcurl's 100-continue round trip for larger bodies.
        headers = CurlStringList(request.headers + ["Expect:"])
    }

    deinit { body.deallocate() }

    func response(_ result: CURLcode) -> PostResponse {
        var response = PostResponse(tag: tag)
        response.status = status
        response.statusText = statusText
        response.retryAfter = retryAfter
        response.refusedAddress = refused
        // A body cut short on purpose still leaves a complete status; any other failure
        // means the response broke off, and a status seen before that is not trusted.
        if result != CURLE_OK && !(bodyCut && status != nil) {
            response.error = easy.error(result)
            response.status = nil
        }
        return response
    }

    static let headerCallback: curl_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let length = size * count
        let transfer = Unmanaged<PostTransfer>.fromOpaque(context).takeUnretainedValue()
        transfer.header(UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    static let writeCallback: curl_write_callback = { _, size, count, context in
        guard let context else { return 0 }
        let length = size * count
        let transfer = Unmanaged<PostTransfer>.fromOpaque(context).takeUnretainedValue()
        transfer.bodyBytes += length
        if transfer.bodyBytes > ConcurrentPoster.maxResponseBody {
            transfer.bodyCut = true
            return 0
        }
        return length
    }

    static let openSocketCallback: curl_opensocket_callback = { context, _, address in
        guard let context, let address else { return -1 }
        let transfer = Unmanaged<PostTransfer>.fromOpaque(context).takeUnretainedValue()
        let family = address.pointee.family
        if !transfer.allowPrivate {
            guard let socketAddress = critfix_curl_sockaddr(address) else { return -1 }
            let (text, restriction) = AddressPolicy.check(socketAddress)
            if let restriction {
                transfer.refused = "\(text) is \(restriction)"
                return -1
            }
        }
        return socket(family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
    }

    /// One header line; a status line starts a new response (after a 100 Continue).
    func header(_ line: UnsafeRawBufferPointer) {
        var text = String(decoding: line, as: UTF8.self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        if text.hasPrefix("HTTP/") {
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) : nil
            // The reason phrase ends up in messages: printable, and short.
            statusText = parts.count > 2 ? String(String(parts[2].unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }).prefix(100)) : nil
            retryAfter = nil
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        if text[..<colon].lowercased() == "retry-after" {
            var value = Substring(text[text.index(after: colon)...])
            while let first = value.first, first.isWhitespace { value.removeFirst() }
            retryAfter = String(value)
        }
    }
}
