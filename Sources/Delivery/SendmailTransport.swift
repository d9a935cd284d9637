import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `sendmail:PATH`: runs `PATH -t -oi` (and `-f SENDER` when `email.envelope_from` is
/// set) once per message, the message on its standard input, and judges the exit
/// status (SPEC 6.2): 0 delivered; 67 (addressee unknown) and 68 (host unknown)
/// permanent; anything else, a signal or a timeout temporary. A program that cannot
/// be started stops the run. What the program prints (its first 1,000 bytes) is
/// part of the reason.
public final class SendmailTransport: MailTransport {
    public let path: String
    /// `-f` sender; nil: sendmail's default.
    public let envelopeSender: String?
    /// Seconds one message may take before the program is killed.
    public let timeout: Double

    public init(path: String, envelopeSender: String?, timeout: Double = 300) {
        self.path = path
        self.envelopeSender = envelopeSender
        self.timeout = timeout
        // A program that exits without reading its input must not kill critfix.
        signal(SIGPIPE, SIG_IGN)
    }

    public var confirmsEachMessage: Bool { true }

    /// The arguments after the program's name.
    public var arguments: [String] {
        var arguments = ["-t", "-oi"]
        if let envelopeSender { arguments += ["-f", envelopeSender] }
        return arguments
    }

    public func send(_ email: RenderedEmail, envelopeFrom: String) throws(TransportFailure) {
        let result = try run(input: email.bytes)
        switch result {
        case .exited(0, _):
            return
        case .exited(let status, let output):
            let meaning = Self.exitMeaning[status].map { " (\($0))" } ?? ""
            let message = "\(path) exited with status \(status)\(meaning)" + (output.isEmpty ? "" : ": \(output)")
            throw TransportFailure(status == 67 || status == 68 ? .permanent : .temporary, message)
        case .signalled(let signal, let output):
            throw TransportFailure(.temporary, "\(path) was killed by signal \(signal)" + (output.isEmpty ? "" : ": \(output)"))
        case .timedOut:
            throw TransportFailure(.temporary, "\(path) did not finish within \(Int(timeout)) s and was killed")
        }
    }

    public func flush() throws(TransportFailure) {}
    public func close() throws(TransportFailure) {}

    /// sysexits.h
    static let exitMeaning: [Int32: String] = [
        64: "usage error", 65: "data format error", 66: "cannot open input", 67: "addressee unknown",
        68: "host name unknown", 69: "service unavailable", 70: "internal software error", 71: "system error",
        72: "critical OS file missing", 73: "cannot create output file", 74: "input/output error",
        75: "temporary failure", 76: "remote error in protocol", 77: "permission denied", 78: "configuration error",
    ]

    enum Outcome {
        case exited(Int32, String)
        case signalled(Int32, String)
        case timedOut
    }

    /// Runs the program with `input` on its standard input; its standard output and
    /// error are collected (up to 1,000 bytes) while the input is written.
    func run(input: [UInt8]) throws(TransportFailure) -> Outcome {
        var inputPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        guard makePipe(&inputPipe) else { throw TransportFailure.errno("cannot run \(path)") }
        guard makePipe(&outputPipe) else {
            closeFD(inputPipe[0])
            closeFD(inputPipe[1])
            throw TransportFailure.errno("cannot run \(path)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default SIGPIPE handling, whatever critfix ignores.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let argv = [path] + arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        var spawned = posix_spawn(&pid, path, &actions, &attributes, &cArguments, environ)
        // ETXTBSY: the program is being replaced (or was just written) and is still open
        // for writing somewhere; that passes within moments.
        for _ in 0..<20 where spawned == ETXTBSY {
            usleep(50_000)
            spawned = posix_spawn(&pid, path, &actions, &attributes, &cArguments, environ)
        }
        closeFD(inputPipe[0])
        closeFD(outputPipe[1])
        guard spawned == 0 else {
            closeFD(inputPipe[1])
            closeFD(outputPipe[0])
            throw TransportFailure(
                .temporary, "cannot run \(path): \(String(cString: strerror(spawned))) (check email.transport)",
                stopsRun: true)
        }
        let deadline = Date().addingTimeInterval(timeout)
        let output = exchange(input: input, writeTo: inputPipe[1], readFrom: outputPipe[0], deadline: deadline)
        var status: Int32 = 0
        // Wait for the exit, until the deadline; a program still running then is killed.
        var timedOut = output == nil
        while true {
            if timedOut { kill(pid, SIGKILL) }
            let waited = waitpid(pid, &status, timedOut ? 0 : WNOHANG)
            if waited == pid { break }
            if waited < 0 && errno != EINTR { break }
            if waited == 0 {
                if Date() >= deadline { timedOut = true } else { usleep(2000) }
            }
        }
        guard let output, !timedOut else { return .timedOut }
        let text = TextCleaning.line(String(decoding: output, as: UTF8.self), maxCharacters: 500)
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        if status & 0x7F == 0 { return .exited((status >> 8) & 0xFF, text) }
        return .signalled(status & 0x7F, text)
    }

    /// Writes `input` and reads the output until the program has closed it and taken
    /// all of the input; nil when the deadline passed first. Closes both descriptors.
    private func exchange(input: [UInt8], writeTo inputFD: Int32, readFrom outputFD: Int32, deadline: Date) -> [UInt8]? {
        var inputFD = inputFD
        var outputFD = outputFD
        _ = fcntl(inputFD, F_SETFL, fcntl(inputFD, F_GETFL) | O_NONBLOCK)
        defer {
            if inputFD >= 0 { closeFD(inputFD) }
            if outputFD >= 0 { closeFD(outputFD) }
        }
        var output: [UInt8] = []
        var offset = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        if input.isEmpty {
            closeFD(inputFD)
            inputFD = -1
        }
        while inputFD >= 0 || outputFD >= 0 {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var fds: [pollfd] = []
            if outputFD >= 0 { fds.append(pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)) }
            if inputFD >= 0 { fds.append(pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000, 1000)))
            if ready < 0 {
                if errno == EINTR { continue }
                return nil
            }
            for entry in fds where entry.revents != 0 {
                if entry.fd == inputFD {
                    let written = input.withUnsafeBytes { raw in
                        write(inputFD, raw.baseAddress! + offset, raw.count - offset)
                    }
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno != EAGAIN && errno != EINTR {
                        offset = input.count  // EPIPE: the program stopped reading; its exit status says why
                    }
                    if offset >= input.count {
                        closeFD(inputFD)
                        inputFD = -1
                    }
                } else if entry.fd == outputFD {
                    let count = buffer.withUnsafeMutableBytes { read(outputFD, $0.baseAddress!, $0.count) }
                    if count > 0 {
                        if output.count < 1000 { output += buffer[0..<min(count, 1000 - output.count)] }
                    } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                        closeFD(outputFD)
                        outputFD = -1
                    }
                }
            }
        }
        return output
    }
}

private func closeFD(_ fd: Int32) { _ = close(fd) }

/// A pipe whose ends are not inherited by other children (`pipe2` is not visible to Swift).
private func makePipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
}
