internal import CCurl
internal import Curl

/// One feed to fetch over HTTP(S).
public struct FetchRequest: Sendable {
    public var url: String
    /// Seconds for the whole transfer, connection and redirects included.
    public var timeout: Double
    /// A CA bundle trusted instead of the system's, for an internal HTTPS server.
    public var caFile: String?
    /// The largest body accepted, counted after gzip/deflate decoding.
    public var maxBytes: Int
    /// Validators of the last successful fetch, sent back for a conditional GET.
    public var etag: String?
    public var lastModified: String?
    /// Refuse to connect to a loopback, private or link-local address: a URL that an
    /// untrusted document named (a ROLIE feed's `src`) must not reach the operator's network.
    public var refusePrivateAddresses: Bool

    public init(
        url: String, timeout: Double = 30, caFile: String? = nil, maxBytes: Int = 20 << 20, etag: String? = nil,
        lastModified: String? = nil, refusePrivateAddresses: Bool = false
    ) {
        self.url = url
        self.timeout = timeout
        self.caFile = caFile
        self.maxBytes = maxBytes
        self.etag = etag
        self.lastModified = lastModified
        self.refusePrivateAddresses = refusePrivateAddresses
    }
}

/// A completed fetch: a 2xx whose body went to the consumer, or a 304.
public struct FetchResponse: Sendable {
    public var status: Int
    public var etag: String?
    public var lastModified: String?
    public var contentType: String?
    /// Body bytes after decoding.
    public var bytes: Int
    /// The URL after redirects.
    public var finalURL: String?
    /// The server's address is loopback, private or link-local (an operator's own mirror).
    public var fromPrivateAddress = false

    /// A 304: the feed is unchanged since the validators sent, and no body came.
    public var notModified: Bool { status == 304 }
}

/// Why a fetch failed, worded for the operator who reads it in a cron mail.
public struct FetchFailure: Error, Sendable, CustomStringConvertible {
    /// The final HTTP status, when a response came.
    public var status: Int?
    public var reason: String
    /// True when the consumer stopped the transfer (its own error explains why).
    public var stoppedByConsumer = false

    public init(status: Int? = nil, reason: String, stoppedByConsumer: Bool = false) {
        self.status = status
        self.reason = reason
        self.stoppedByConsumer = stoppedByConsumer
    }

    public var description: String { reason }
}

/// Fetches feeds over HTTP(S) with libcurl, streaming each body to a consumer as it
/// arrives (SPEC 8): conditional GET, gzip/deflate, at most 5 redirects and only to
/// http(s), a per-feed timeout and a body size cap.
///
/// One fetcher keeps one libcurl handle, so consecutive fetches reuse connections to
/// the same server. It is not thread-safe: use one per thread.
public final class FeedFetcher {
    public static let maxRedirects = 5

    private let easy: CurlEasy
    private let userAgent: String

    public init(userAgent: String) throws(FetchFailure) {
        do {
            easy = try CurlEasy()
        } catch {
            throw FetchFailure(reason: error.message)
        }
        self.userAgent = userAgent
    }

    /// Fetches `request`, handing each chunk of a 2xx body to `consume` as it arrives.
    /// `consume` returns false to stop the transfer (its caller knows why). Bodies of
    /// other statuses are never handed over.
    public func fetch(
        _ request: FetchRequest, consume: (UnsafeRawBufferPointer) -> Bool
    ) -> Result<FetchResponse, FetchFailure> {
        withoutActuallyEscaping(consume) { consume in
            let transfer = Transfer(maxBytes: request.maxBytes, consume: consume)
            return withExtendedLifetime(transfer) { perform(request, transfer) }
        }
    }

    private func perform(_ request: FetchRequest, _ transfer: Transfer) -> Result<FetchResponse, FetchFailure> {
        easy.reset()
        easy.set(CURLOPT_URL, request.url)
        easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        easy.set(CURLOPT_FOLLOWLOCATION, 1)
        easy.set(CURLOPT_MAXREDIRS, FeedFetcher.maxRedirects)
        easy.set(CURLOPT_USERAGENT, userAgent)
        // "" offers every encoding this libcurl decodes (gzip, deflate, …).
        easy.set(CURLOPT_ACCEPT_ENCODING, "")
        let milliseconds = max(Int(request.timeout * 1000), 1)
        easy.set(CURLOPT_TIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: Int64(request.maxBytes))
        if let caFile = request.caFile { easy.set(CURLOPT_CAINFO, caFile) }
        var headers = ["Accept: application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"]
        if let etag = request.etag { headers.append("If-None-Match: \(Header.clean(etag))") }
        if let lastModified = request.lastModified { headers.append("If-Modified-Since: \(Header.clean(lastModified))") }
        let headerList = CurlStringList(headers)
        easy.set(CURLOPT_HTTPHEADER, list: headerList)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        easy.setWrite(CURLOPT_HEADERFUNCTION, Transfer.headerCallback)
        easy.set(CURLOPT_HEADERDATA, pointer: context)
        easy.setWrite(CURLOPT_WRITEFUNCTION, Transfer.writeCallback)
        easy.set(CURLOPT_WRITEDATA, pointer: context)
        if request.refusePrivateAddresses {
            critfix_easy_setopt_opensocket(easy.handle, Transfer.openSocketCallback)
            easy.set(CURLOPT_OPENSOCKETDATA, pointer: context)
        }

        let outcome: CurlError?
        do throws(CurlError) {
            try withExtendedLifetime(headerList) { () throws(CurlError) in try easy.perform() }
            outcome = nil
        } catch {
            outcome = error
        }
        let status = transfer.status ?? (easy.info(CURLINFO_RESPONSE_CODE) > 0 ? easy.info(CURLINFO_RESPONSE_CODE) : nil)
        if let stop = transfer.stop {
            switch stop {
            case .consumer:
                return .failure(FetchFailure(status: status, reason: "stopped", stoppedByConsumer: true))
            case .tooLarge:
                return .failure(FetchFailure(status: status, reason: "the feed is larger than \(Size.text(request.maxBytes)) (fetch.max_size)"))
            case .status:
                return .failure(FetchFailure(status: status, reason: httpFailure(status, transfer.statusText)))
            }
        }
        if let refused = transfer.refused {
            return .failure(FetchFailure(reason: "refused: the server is at \(refused)"))
        }
        if let outcome {
            return .failure(FetchFailure(status: status, reason: describe(outcome, request)))
        }
        guard let status else {
            return .failure(FetchFailure(reason: "no HTTP response from the server"))
        }
        guard status == 304 || (200..<300).contains(status) else {
            // A status without a body (a 3xx beyond what was followed, a 4xx/5xx with none).
            return .failure(FetchFailure(status: status, reason: httpFailure(status, transfer.statusText)))
        }
        var response = FetchResponse(
            status: status, etag: transfer.etag, lastModified: transfer.lastModified,
            contentType: transfer.contentType, bytes: transfer.bytes, finalURL: easy.string(CURLINFO_EFFECTIVE_URL))
        response.fromPrivateAddress = easy.string(CURLINFO_PRIMARY_IP).map { AddressPolicy.restriction(address: $0) != nil } ?? false
        return .success(response)
    }

    private func httpFailure(_ status: Int?, _ text: String?) -> String {
        guard let status else { return "no HTTP response from the server" }
        let phrase = text.map { " \($0)" } ?? ""
        switch status {
        case 300..<400: return "HTTP \(status)\(phrase): a redirect without a usable Location, or more than \(FeedFetcher.maxRedirects) redirects"
        case 401, 403: return "HTTP \(status)\(phrase): the server refuses access; check the feed's URL"
        case 404, 410: return "HTTP \(status)\(phrase): no feed at this URL; check the feed's URL"
        case 500..<600: return "HTTP \(status)\(phrase): the server failed; critfix tries again next run"
        default: return "HTTP \(status)\(phrase)"
        }
    }

    /// libcurl's reason, with what the operator can do about it.
    private func describe(_ error: CurlError, _ request: FetchRequest) -> String {
        let message = error.message
        switch error.code {
        case CURLE_COULDNT_RESOLVE_HOST:
            return "cannot resolve the host name (DNS): \(message)"
        case CURLE_COULDNT_CONNECT:
            return "cannot connect: \(message)"
        case CURLE_OPERATION_TIMEDOUT:
            return "timed out after \(Size.seconds(request.timeout)) (the feed's timeout): \(message)"
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_ISSUER_ERROR:
            let hint = request.caFile == nil ? "; for an internal CA set the feed's ca_file" : ""
            return "TLS failed: \(message)\(hint)"
        case CURLE_TOO_MANY_REDIRECTS:
            return "more than \(FeedFetcher.maxRedirects) redirects: \(message)"
        case CURLE_UNSUPPORTED_PROTOCOL:
            return "redirected to a URL that is not http(s): \(message)"
        case CURLE_FILESIZE_EXCEEDED:
            return "the feed is larger than \(Size.text(request.maxBytes)) (fetch.max_size)"
        case CURLE_BAD_CONTENT_ENCODING:
            return "the compressed body cannot be decoded: \(message)"
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return "the connection broke before the feed was complete: \(message)"
        case CURLE_URL_MALFORMAT:
            return "the URL is malformed: \(message)"
        default:
            return message
        }
    }
}

/// The state of one transfer, reached from libcurl's callbacks.
private final class Transfer {
    enum Stop { case consumer, tooLarge, status }

    let maxBytes: Int
    let consume: (UnsafeRawBufferPointer) -> Bool
    var status: Int?
    var statusText: String?
    var etag: String?
    var lastModified: String?
    var contentType: String?
    var bytes = 0
    var stop: Stop?
    /// The address a connection was refused to, and why (`refusePrivateAddresses`).
    var refused: String?

    init(maxBytes: Int, consume: @escaping (UnsafeRawBufferPointer) -> Bool) {
        self.maxBytes = maxBytes
        self.consume = consume
    }

    static let headerCallback: curl_write_callback = { data, size, count, context in
        guard let data, let context else { return 0 }
        let length = size * count
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        transfer.header(UnsafeRawBufferPointer(start: data, count: length))
        return length
    }

    static let writeCallback: curl_write_callback = { data, size, count, context in
        guard let context else { return 0 }
        let length = size * count
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        return transfer.body(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
    }

    /// Every connection, redirects included, is checked before it is made.
    static let openSocketCallback: curl_opensocket_callback = { context, _, address in
        guard let context, let address, let socketAddress = critfix_curl_sockaddr(address) else { return -1 }
        // The context is this transfer, alive for the whole perform (withExtendedLifetime).
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let (text, restriction) = AddressPolicy.check(socketAddress)
        if let restriction {
            transfer.refused = "\(text), \(restriction)"
            return -1
        }
        return socket(address.pointee.family, address.pointee.socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.protocol)
    }

    /// One header line; a status line starts a new response (after a redirect or a 100).
    func header(_ line: UnsafeRawBufferPointer) {
        let text = String(decoding: line, as: UTF8.self).trimmingWhitespace()
        if text.hasPrefix("HTTP/") {
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) : nil
            statusText = parts.count > 2 ? String(parts[2]) : nil
            etag = nil
            lastModified = nil
            contentType = nil
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = text[..<colon].lowercased()
        let value = String(text[text.index(after: colon)...]).trimmingWhitespace()
        switch name {
        case "etag": etag = value.isEmpty ? nil : value
        case "last-modified": lastModified = value.isEmpty ? nil : value
        case "content-type": contentType = value
        default: break
        }
    }

    func body(_ chunk: UnsafeRawBufferPointer) -> Bool {
        // Only a 2xx body is a feed; anything else stops here, with its status as the reason.
        guard let status, (200..<300).contains(status) else {
            stop = .status
            return false
        }
        bytes += chunk.count
        if bytes > maxBytes {
            stop = .tooLarge
            return false
        }
        if !consume(chunk) {
            stop = .consumer
            return false
        }
        return true
    }
}

enum Header {
    /// A value from the state store, made safe for one header line.
    static func clean(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F })
    }
}

enum Size {
    static func text(_ bytes: Int) -> String {
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
