import Articles
import Foundation

/// A webhook POST as SPEC 6.3 makes it: a JSON body, signed as in the Standard Webhooks
/// specification. Its `description` names the URL's host only: the secret, and any
/// token in the URL's path or query, never reach a log.
public struct WebhookRequest: Sendable, CustomStringConvertible {
    /// The delivery id, sent as `webhook-id` (stable across retries).
    public var id: String
    public var url: String
    public var body: [UInt8]
    /// Unix seconds of this attempt, sent as `webhook-timestamp`.
    public var timestamp: Int
    /// `v1,<base64>`, or nil when the endpoint has no secret (sent unsigned).
    public var signature: String?

    /// Signs `body` for this attempt. `secret` is `whsec_` followed by base64 (checked
    /// when the registrations were loaded); nil sends the request unsigned.
    public init(id: String, url: String, body: [UInt8], timestamp: Int, secret: String?) {
        self.id = id
        self.url = url
        self.body = body
        self.timestamp = timestamp
        signature = secret.flatMap { WebhookSignature.key($0) }.map {
            WebhookSignature.sign(id: id, timestamp: timestamp, body: body, key: $0)
        }
    }

    /// The header lines besides `User-Agent` (which the HTTP layer sets).
    public var headers: [String] {
        var lines = [
            "Content-Type: application/json",
            "webhook-id: \(id)",
            "webhook-timestamp: \(timestamp)",
        ]
        if let signature { lines.append("webhook-signature: \(signature)") }
        return lines
    }

    public var description: String { "webhook \(WebhookSignature.origin(url)) (\(id))" }
}

/// Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>")).
public enum WebhookSignature {
    /// The signing key: the base64 decoding of the secret after its `whsec_` prefix.
    public static func key(_ secret: String) -> [UInt8]? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        return Data(base64Encoded: encoded).map { Array($0) }
    }

    public static func sign(id: String, timestamp: Int, body: [UInt8], key: [UInt8]) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        return "v1," + Data(Digest.hmacSHA256(key: key, message: message)).base64EncodedString()
    }

    /// `scheme://host[:port]` of a URL, for messages: a path or query may hold a token.
    public static func origin(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return "(unparsable URL)" }
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost)" + (components.port.map { ":\($0)" } ?? "")
    }
}
