/// Byte scanning shared by the stages that clean, escape and encode text: eight bytes at
/// a time, as one word. Each test gives a mask that is zero exactly when no byte matches
/// (it does not say which byte does, so it is the same in either byte order); masks are
/// OR-ed, then tested once.
public enum ByteWord {
    public static let ones: UInt64 = 0x0101_0101_0101_0101
    public static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The eight bytes from `index`, which the caller keeps at most `bytes.count - 8`.
    @inlinable @inline(__always)
    public static func load(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt64 {
        assert(index >= 0 && index + 8 <= bytes.count, "eight bytes past the buffer's end")
        return UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
    }

    /// Some byte equals `byte`.
    @inlinable @inline(__always)
    public static func equal(_ byte: UInt8, _ word: UInt64) -> UInt64 {
        let value = word ^ (ones &* UInt64(byte))
        return (value &- ones) & ~value & highs
    }

    /// Some byte is below `limit` (at most 0x80).
    @inlinable @inline(__always)
    public static func below(_ limit: UInt8, _ word: UInt64) -> UInt64 { (word &- ones &* UInt64(limit)) & ~word & highs }

    /// Some byte is above 0x7F.
    @inlinable @inline(__always)
    public static func high(_ word: UInt64) -> UInt64 { word & highs }
}
