public import CCurl
import Glibc

/// One libcurl multi handle: many transfers driven from one thread. Not thread-safe.
public final class CurlMulti {
    public let handle: UnsafeMutableRawPointer

    public init() throws(CurlError) {
        guard Curl.initialise(), let handle = curl_multi_init() else {
            throw CurlError(code: CURLE_FAILED_INIT, message: "libcurl could not be initialised")
        }
        self.handle = handle
    }

    deinit { curl_multi_cleanup(handle) }

    public func set(_ option: CURLMoption, _ value: Int) {
        critfix_multi_setopt_long(handle, option, value)
    }

    public func add(_ easy: CurlEasy) -> Bool {
        curl_multi_add_handle(handle, easy.handle) == CURLM_OK
    }

    public func remove(_ easy: CurlEasy) {
        curl_multi_remove_handle(handle, easy.handle)
    }

    /// Moves every transfer on as far as it goes without blocking; returns how many still run.
    @discardableResult
    public func perform() -> Int {
        var running: Int32 = 0
        while curl_multi_perform(handle, &running) == CURLM_CALL_MULTI_PERFORM {}
        return Int(running)
    }

    /// Waits until a transfer can move on, or `milliseconds` pass.
    public func poll(milliseconds: Int) {
        var ready: Int32 = 0
        curl_multi_poll(handle, nil, 0, Int32(clamping: milliseconds), &ready)
    }

    /// The next finished transfer: its easy handle and result.
    public func nextDone() -> (handle: UnsafeMutableRawPointer, result: CURLcode)? {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(handle, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            return (easy, critfix_multi_message_result(message))
        }
        return nil
    }
}

extension CurlError {
    /// The transfer ran out of time.
    public var isTimeout: Bool { code == CURLE_OPERATION_TIMEDOUT }
    /// The server's certificate could not be verified.
    public var isCertificateProblem: Bool {
        code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_ISSUER_ERROR
    }
}
