public import CCurl

/// libcurl, initialised once per process before any handle exists.
public enum Curl {
    private static let ready: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK
    }()

    /// `7.88.1`
    public static var version: String { String(cString: curl_version_info(CURLVERSION_TENTH).pointee.version) }

    static func initialise() -> Bool { ready }
}

/// A libcurl failure: the code and the most specific message libcurl gave.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public var code: CURLcode
    /// libcurl's error buffer when it said something, else `curl_easy_strerror`.
    public var message: String

    public init(code: CURLcode, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// One libcurl easy handle. Not thread-safe: one transfer at a time, on one thread.
public final class CurlEasy {
    public let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>

    public init() throws(CurlError) {
        guard Curl.initialise(), let handle = curl_easy_init() else {
            throw CurlError(code: CURLE_FAILED_INIT, message: "libcurl could not be initialised")
        }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        critfix_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        // Never signals: timeouts must work in threads.
        set(CURLOPT_NOSIGNAL, 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Forgets every option of the last transfer but keeps connections and caches.
    public func reset() {
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        critfix_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        set(CURLOPT_NOSIGNAL, 1)
    }

    public func set(_ option: CURLoption, _ value: Int) {
        critfix_easy_setopt_long(handle, option, value)
    }

    public func set(_ option: CURLoption, _ value: Bool) {
        critfix_easy_setopt_long(handle, option, value ? 1 : 0)
    }

    /// libcurl copies string options, so the Swift string need not outlive the call.
    public func set(_ option: CURLoption, _ value: String?) {
        if let value {
            critfix_easy_setopt_string(handle, option, value)
        } else {
            critfix_easy_setopt_pointer(handle, option, nil)
        }
    }

    public func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) {
        critfix_easy_setopt_pointer(handle, option, pointer)
    }

    public func set(_ option: CURLoption, offset value: Int64) {
        critfix_easy_setopt_off(handle, option, curl_off_t(value))
    }

    public func set(_ option: CURLoption, list: CurlStringList) {
        critfix_easy_setopt_slist(handle, option, list.head)
    }

    public func setWrite(_ option: CURLoption, _ callback: curl_write_callback) {
        critfix_easy_setopt_write(handle, option, callback)
    }

    public func setRead(_ callback: curl_read_callback) {
        critfix_easy_setopt_read(handle, CURLOPT_READFUNCTION, callback)
    }

    /// Runs the transfer; throws with libcurl's most specific message.
    public func perform() throws(CurlError) {
        errorBuffer[0] = 0
        let code = curl_easy_perform(handle)
        guard code != CURLE_OK else { return }
        throw error(code)
    }

    /// The error for `code`, using the error buffer when libcurl filled it.
    public func error(_ code: CURLcode) -> CurlError {
        var message = String(cString: errorBuffer)
        if message.isEmpty { message = String(cString: curl_easy_strerror(code)) }
        while message.last == "\n" { message.removeLast() }
        return CurlError(code: code, message: message)
    }

    public func info(_ info: CURLINFO) -> Int {
        var value = 0
        critfix_easy_getinfo_long(handle, info, &value)
        return value
    }

    public func string(_ info: CURLINFO) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        critfix_easy_getinfo_string(handle, info, &value)
        return value.map { String(cString: $0) }
    }

    public func offset(_ info: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        critfix_easy_getinfo_off(handle, info, &value)
        return Int64(value)
    }
}

/// A `curl_slist` (headers, SMTP recipients), freed with its owner.
public final class CurlStringList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    public init(_ strings: [String] = []) {
        for string in strings { append(string) }
    }

    public func append(_ string: String) {
        head = curl_slist_append(head, string)
    }

    deinit { curl_slist_free_all(head) }
}
