import Foundation
import Testing

/// `Scripts/install` as a user runs it, then what the user checks: the binary runs on its
/// own, `man critfix` shows the page, and completion offers the subcommands. The script
/// builds the release binary, with the Swift runtime linked in, in a build folder of the
/// tests' own (`swift test` holds the lock of `.build`, and a debug build made without that
/// flag in the same folder would leave objects that do not link with it): a full release
/// build the first time. So the install runs once per test run and the tests share it, one after
/// another: a test waiting for the install would hold a second of the test run's threads
/// (two on two cores) for nothing.
@Suite(.serialized) struct InstallTests {
    struct Installation {
        var prefix: String
        var result: CLI.Result
    }

    static let scratchPath = CLI.packageRoot + "/.build/install-tests"

    /// `Scripts/install --prefix PREFIX`, with `environment` (DESTDIR).
    static func install(prefix: String, environment: [String: String] = [:]) throws -> CLI.Result {
        if let buildProblem = CLI.buildProblem { Issue.record(Comment(rawValue: buildProblem)) }
        return try CLI.run(
            CLI.packageRoot + "/Scripts/install",
            ["--prefix", prefix, "--scratch-path", scratchPath], environment: environment)
    }

    /// In the test scripts' scratch folder when there is one (they sweep it: the prefix
    /// holds a copy of the binary), else in a scratch folder of its own.
    private static let shared: Result<Installation, any Error> = Result {
        let scratch = try ProcessInfo.processInfo.environment["CRITFIX_TEST_SCRATCH"] ?? CLI.scratch()
        let prefix = scratch + "/install-prefix-" + UUID().uuidString
        return Installation(prefix: prefix, result: try install(prefix: prefix))
    }

    /// The one installation the tests share; it must have succeeded.
    static func installed() throws -> Installation {
        let installation = try shared.get()
        try #require(installation.result.status == 0, "Scripts/install failed:\n\(installation.result.stderr)")
        return installation
    }

    static let files = [
        "bin/critfix",
        "share/man/man1/critfix.1",
        "share/bash-completion/completions/critfix",
        "share/zsh/site-functions/_critfix",
        "share/fish/vendor_completions.d/critfix.fish",
    ]

    static let subcommands = ["run", "catch-up", "check", "parse", "explain", "status", "state"]

    @Test func installsTheBinaryTheManPageAndTheCompletions() throws {
        let installation = try Self.installed()
        for file in Self.files {
            let path = installation.prefix + "/" + file
            #expect(FileManager.default.fileExists(atPath: path), "\(file) is not installed")
            #expect(installation.result.stdout.contains("installed \(path)\n"), "the script does not say it installed \(file)")
        }
        let binary = installation.prefix + "/bin/critfix"
        #expect(FileManager.default.isExecutableFile(atPath: binary))
        // With no environment at all, it runs and parses a sample feed as the tests' build does.
        let feed = CLI.packageRoot + "/Feeds/erp-ln-kb.xml"
        let version = try CLI.run("/usr/bin/env", ["-i", binary, "--version"])
        #expect(version.status == 0, "\(version.stderr)")
        #expect(version.stdout == (try CLI.critfix(["--version"])).stdout)
        let parsed = try CLI.run("/usr/bin/env", ["-i", binary, "parse", feed])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        #expect(parsed.stdout == (try CLI.critfix(["parse", feed])).stdout)
    }

    /// The libraries the tests' build takes from the toolchain (the Swift runtime,
    /// Foundation) are linked into the installed binary: it can be copied to a host that
    /// has only Debian's libraries.
    @Test func theInstalledBinaryNeedsNoToolchain() throws {
        let installation = try Self.installed()
        func libraries(_ binary: String) throws -> [String: String] {
            let ldd = try CLI.run("/usr/bin/ldd", [binary])
            #expect(ldd.status == 0, "\(ldd.stderr)")
            // "\tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x…)"
            return Dictionary(
                ldd.stdout.split(separator: "\n").compactMap { line in
                    let parts = line.split(separator: " ")
                    guard parts.count >= 3, parts[1] == "=>" else { return nil }
                    return (parts[0].trimmingCharacters(in: .whitespaces), String(parts[2]))
                }, uniquingKeysWith: { first, _ in first })
        }
        let system = ["/lib/", "/usr/lib/"]
        let fromToolchain = try libraries(CLI.binary).filter { _, path in !system.contains { path.hasPrefix($0) } }
        #expect(fromToolchain.keys.contains("libswiftCore.so"), "the tests' build should use the toolchain's runtime")
        let installed = try libraries(installation.prefix + "/bin/critfix")
        #expect(!installed.isEmpty)
        for (library, path) in installed {
            #expect(system.contains { path.hasPrefix($0) }, "\(library) comes from \(path)")
            #expect(fromToolchain[library] == nil, "\(library) is not linked in")
        }
    }

    /// `man critfix` with the prefix's man folder on MANPATH finds the page, and it renders
    /// without a warning: the name, every subcommand with its options, the exit codes.
    @Test func manCritfixShowsThePage() throws {
        let installation = try Self.installed()
        // C.UTF-8 always exists: a locale that does not makes man warn.
        let environment = ["MANPATH": installation.prefix + "/share/man", "MANWIDTH": "100", "LC_ALL": "C.UTF-8"]
        let page = try CLI.run("/usr/bin/env", ["man", "-P", "cat", "critfix"], environment: environment)
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stderr.isEmpty, "man warned: \(page.stderr)")
        let text = page.stdout
        #expect(text.hasPrefix("CRITFIX(1)"))
        #expect(text.contains("NAME\n     critfix"))
        #expect(text.contains("Notify registered customers of critical fixes"))
        for subcommand in Self.subcommands {
            // A subcommand starts its item: its abstract after it, or on the next line when it is long.
            #expect(
                text.contains("\n     \(subcommand) ") || text.contains("\n     \(subcommand)\n"), "no subcommand \(subcommand)")
        }
        #expect(text.contains("--dry-run"))
        #expect(text.contains("--config path"))
        #expect(text.contains("75 another run holds the lock"))

        // The file itself, as `man -l` reads it.
        let local = try CLI.run(
            "/usr/bin/env", ["man", "-l", "-P", "cat", installation.prefix + "/share/man/man1/critfix.1"],
            environment: ["MANWIDTH": "100", "LC_ALL": "C.UTF-8"])
        #expect(local.status == 0, "\(local.stderr)")
        #expect(local.stdout == text)
    }

    /// Sourcing the installed bash completion registers it, and critfix TAB offers the
    /// subcommands, `critfix run --` TAB the run's options, `critfix state ` TAB `copy`.
    @Test func bashCompletesSubcommandsAndOptions() throws {
        let installation = try Self.installed()
        let script = """
            source "$1" || exit 10
            complete -p critfix || exit 11
            completer=$(complete -p critfix | sed -E 's/.* -F ([^ ]+) .*/\\1/')
            offer() {
                COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
                "$completer" critfix "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
                echo "$* => ${COMPREPLY[*]}"
            }
            offer critfix ''
            offer critfix run --
            offer critfix state ''
            """
        let bash = try CLI.run(
            "/bin/bash",
            ["--norc", "--noprofile", "-c", script, "bash", installation.prefix + "/share/bash-completion/completions/critfix"])
        #expect(bash.status == 0, "\(bash.stderr)")
        #expect(bash.stderr.isEmpty, "\(bash.stderr)")
        let lines = bash.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("complete ") == true && lines.first?.hasSuffix(" critfix") == true, "\(lines)")
        func offered(_ line: String) -> Set<String> {
            guard let found = lines.first(where: { $0.hasPrefix(line + " => ") }) else { return [] }
            return Set(found.dropFirst(line.count + 4).split(separator: " ").map(String.init))
        }
        #expect(offered("critfix ").isSuperset(of: Self.subcommands), "\(lines)")
        #expect(offered("critfix run --").isSuperset(of: ["--dry-run", "--summary", "--no-fetch", "--config"]), "\(lines)")
        #expect(offered("critfix state ").contains("copy"), "\(lines)")
    }

    /// zsh loads a completion from site-functions only when its first line is `#compdef`;
    /// fish reads `complete -c critfix` lines.
    @Test func zshAndFishCompletionsNameCritfix() throws {
        let installation = try Self.installed()
        let zsh = try String(contentsOfFile: installation.prefix + "/share/zsh/site-functions/_critfix", encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef critfix\n"))
        let fish = try String(contentsOfFile: installation.prefix + "/share/fish/vendor_completions.d/critfix.fish", encoding: .utf8)
        #expect(fish.contains("complete -c 'critfix'") || fish.contains("complete -c critfix"))
        for subcommand in Self.subcommands { #expect(fish.contains(subcommand)) }
    }

    /// DESTDIR goes before every path (a staged install for a package).
    @Test func destdirStagesTheInstall() throws {
        _ = try Self.installed()  // after the shared install, so that this one builds nothing
        let stage = try CLI.scratch() + "/stage"
        defer { try? FileManager.default.removeItem(atPath: stage) }
        let result = try Self.install(prefix: "/usr", environment: ["DESTDIR": stage])
        #expect(result.status == 0, "\(result.stderr)")
        for file in Self.files {
            #expect(FileManager.default.fileExists(atPath: stage + "/usr/" + file), "\(file) is not staged")
            #expect(result.stdout.contains("installed \(stage)/usr/\(file)\n"))
        }
    }

    @Test func aRelativePrefixIsAUsageError() throws {
        let result = try CLI.run(CLI.packageRoot + "/Scripts/install", ["--prefix", "usr/local"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--prefix must be an absolute path"))
        #expect(result.stdout.isEmpty)
    }
}
