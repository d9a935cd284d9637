extension Array where Element == UInt8 {
    /// Appends the UTF-8 of `text` in one copy (`append(contentsOf: text.utf8)` goes
    /// through the generic, element-by-element path).
    @inline(__always)
    mutating func append(utf8 text: String) {
        var text = text
        text.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends the bytes that `body` writes at the start of room for `maxCount` bytes and
    /// counts in its result: encoders write through a pointer, without a check per byte.
    /// The room is not initialised: `body` must write every byte it counts.
    mutating func appendBytes(maxCount: Int, _ body: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        // Written into scratch room and copied: cheaper than zero-filling the worst case
        // (three times the input, for quoted-printable) in the array itself.
        let room = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: maxCount)
        defer { room.deallocate() }
        let written = body(room)
        append(contentsOf: UnsafeBufferPointer(rebasing: room[..<written]))
    }
}
