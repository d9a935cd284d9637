/// Output bytes behind a pointer: `[UInt8].append(contentsOf:)` costs a call, a uniqueness
/// check and a capacity check for each of the thirty or so pieces of every JSON article.
/// Not copyable: it owns its memory, and frees it when it goes.
public struct ByteBuffer: ~Copyable {
    // Owned by this value alone (it cannot be copied): `capacity` bytes, `count` written.
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count: Int
    @usableFromInline var capacity: Int

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 16)
        base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
        count = 0
    }

    deinit { base.deallocate() }

    /// The bytes written, valid until the next change.
    public var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    public var string: String { String(decoding: bytes, as: UTF8.self) }
    public var isEmpty: Bool { count == 0 }
    public var byteCount: Int { count }

    public mutating func removeAll() { count = 0 }

    /// Room for `length` more bytes, counted as written: the caller fills them.
    @inlinable @inline(__always)
    public mutating func reserve(_ length: Int) -> UnsafeMutablePointer<UInt8> {
        if count + length > capacity { grow(to: count + length) }
        let start = base + count
        count += length
        return start
    }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1).pointee = byte
    }

    @inlinable @inline(__always)
    public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count).update(from: source, count: bytes.count)
    }

    public mutating func append(contentsOf text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    @usableFromInline mutating func grow(to needed: Int) {
        var capacity = self.capacity
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        self.capacity = capacity
    }
}

/// Where JSON and other encoders write: a `ByteBuffer`, or a byte array.
public protocol ByteSink: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension ByteBuffer: ByteSink {}
extension Array: ByteSink where Element == UInt8 {}
