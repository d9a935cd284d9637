public import Foundation

/// The time critfix records: when notifications were planned, deliveries attempted and
/// runs made. Waiting and timing use the real clock.
///
/// Debug builds — the ones the tests run — take a fixed time from `CRITFIX_TEST_NOW`
/// (RFC 3339) when it is set, so that a test can script runs at known times and check a
/// report's latencies to the minute. Release builds do not look at it.
public enum WallClock {
    public static func now() -> Date {
        #if DEBUG
        if let fixed = testNow { return fixed }
        #endif
        return Date()
    }

    #if DEBUG
    private static let testNow: Date? = ProcessInfo.processInfo.environment["CRITFIX_TEST_NOW"].flatMap(CivilTime.parse)
    #endif
}
