internal import CCrypto
import Foundation

/// Hashing and timestamps shared by every stage.
public enum Digest {
    /// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex(sha256($0)) }
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { hex(sha256($0)) }
    }

    /// OpenSSL 3 looks a digest up by name on every one-shot `SHA256()` call, which costs
    /// more than hashing a delivery id: the implementation is fetched once.
    nonisolated(unsafe) private static let sha256Implementation = EVP_MD_fetch(nil, "SHA256", nil)

    private static func sha256(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        let hashed = EVP_Digest(input.baseAddress, input.count, &digest, &length, sha256Implementation, nil)
        precondition(hashed == 1 && length == digest.count, "OpenSSL cannot compute SHA-256")
        return digest
    }

    /// Lower-case hex of `bytes` (hot: one per delivery id, so no String(format:)).
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[index * 2] = digits[Int(byte >> 4)]
                buffer[index * 2 + 1] = digits[Int(byte & 0x0F)]
            }
            return bytes.count * 2
        }
    }

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                _ = HMAC(
                    EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count), messageBuffer.baseAddress,
                    messageBuffer.count, &output, &length)
            }
        }
        return Array(output.prefix(Int(length)))
    }
}

/// A SHA-256 or SHA-512 digest computed over bytes as they stream by: a ROLIE document's
/// hash is checked against its `.sha256` / `.sha512` file (SPEC 2.6). One thread at a time.
public final class StreamingDigest {
    public enum Algorithm: Sendable {
        case sha256, sha512

        /// By a hash file's name (its query aside): `….sha512` is SHA-512, anything else SHA-256.
        public init(hashFile: String) {
            let path = hashFile.split(whereSeparator: { $0 == "?" || $0 == "#" }).first.map(String.init) ?? hashFile
            self = path.lowercased().hasSuffix(".sha512") ? .sha512 : .sha256
        }

        /// As people write it: `SHA-256`.
        public var name: String { self == .sha512 ? "SHA-512" : "SHA-256" }
    }

    public let algorithm: Algorithm
    // Owned by this object: made in init, freed in deinit, used by one thread at a time.
    private let context: OpaquePointer

    /// Nil when OpenSSL cannot start the digest (an OpenSSL without SHA-2).
    public init?(_ algorithm: Algorithm) {
        guard let context = EVP_MD_CTX_new() else { return nil }
        guard EVP_DigestInit_ex(context, algorithm == .sha512 ? EVP_sha512() : EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            return nil
        }
        self.algorithm = algorithm
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Lower-case hex; the digest cannot be updated afterwards.
    public func finish() -> String {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return Digest.hex(Array(digest.prefix(Int(length))))
    }
}
