import Foundation

/// Where critfix talks to people: diagnostics on stderr, progress only on a terminal.
public struct Console: Sendable {
    public let isTerminal: Bool

    public init() {
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    public func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Progress, shown only when stderr is a terminal, overwritten in place.
    public func progress(_ line: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    public func endProgress() {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    public func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// SPEC 7.3.
public enum ExitStatus {
    public static let success: Int32 = 0
    public static let failures: Int32 = 1
    public static let usage: Int32 = 2
    public static let invalidRegistrations: Int32 = 65
    public static let software: Int32 = 70
    public static let lockHeld: Int32 = 75
    public static let invalidConfiguration: Int32 = 78
}
