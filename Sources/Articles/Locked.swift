import Foundation

/// A value shared by threads, every access under one lock. `Synchronization.Mutex` does the
/// same, but its lock is made of atomics the thread sanitizer cannot see on Linux (it
/// reports every access as a race); `NSLock` is a pthread mutex, which it understands.
public final class Locked<Value>: @unchecked Sendable {
    // Safe to share: `value` is only touched inside `withLock`, under `lock`.
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
