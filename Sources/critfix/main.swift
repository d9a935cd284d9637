import ArgumentParser
import Foundation
import Articles
import Pipeline
import Reporting

/// The command line of SPEC 7: a thin layer over Pipeline.
struct Critfix: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "critfix",
        abstract: "Notify registered customers of critical fixes published in vendor feeds.",
        discussion: """
            critfix reads the vendor's feeds of fixes and security advisories, matches every new \
            or revised article against the customers' registrations and notifies each affected \
            customer by email or webhook, never twice. Run 'critfix run' from cron or a systemd \
            timer: it prints nothing when all is well.
            Exit status: 0 success; 1 a feed failed or a delivery attempted in this run did not \
            go through; 2 usage error; 65 invalid registrations; 70 the state cannot be used; \
            75 another run holds the lock; 78 invalid configuration.
            """,
        version: Product.version,
        subcommands: [
            Run.self, CatchUp.self, Check.self, Parse.self, Explain.self, Status.self, Report.self, Review.self, State.self,
        ])
}

struct ConfigOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("Configuration file (default: $CRITFIX_CONFIG, else ./critfix.yaml).", valueName: "path"))
    var config: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }
    var path: String { Setup.configPath(config, environment: environment) }

    /// Loads and validates both files, or exits 78 / 65.
    func load(_ console: Console) throws -> LoadedSetup {
        switch Setup.load(configPath: path, environment: environment, console: console) {
        case .success(let setup): return setup
        case .failure(let failure): throw ExitCode(failure.exitCode)
        }
    }
}

func finish(_ code: Int32) throws {
    if code != 0 { throw ExitCode(code) }
}

extension Critfix {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The cron job: fetch all feeds, match, record, deliver everything due.")
        @OptionGroup var options: ConfigOption
        @Flag(help: "Fetch and match, print what would be sent; change no state, send nothing.")
        var dryRun = false
        @Flag(help: "Print a human-readable run summary on stdout.")
        var summary = false
        @Flag(help: "Do not fetch feeds; only deliver what is due.")
        var noFetch = false
        @Option(
            help: ArgumentHelp(
                "Write the run's figures in Prometheus's text format to this file (replaced atomically).",
                valueName: "path"))
        var metrics: String?

        func run() throws {
            let console = Console()
            // The registrations are loaded by the run itself, only when it has work for them.
            let setup: LoadedSetup
            switch Setup.loadConfiguration(configPath: options.path, environment: options.environment, console: console) {
            case .success(let loaded): setup = loaded
            case .failure(let failure): throw ExitCode(failure.exitCode)
            }
            let run = PipelineRun(
                setup: setup, options: RunOptions(dryRun: dryRun, summary: summary, noFetch: noFetch), console: console)
            var status = run.execute()
            if let metrics { status = RunMetrics.write(run, exitCode: status, to: metrics, console: console) }
            ProcessExit.leave(run)
            try finish(status)
        }
    }

    struct CatchUp: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "catch-up",
            abstract: "Record the feeds' current articles as already notified, sending nothing.")
        @Option(help: ArgumentHelp("Only this feed.", valueName: "name")) var feed: String?
        @OptionGroup var options: ConfigOption

        func run() throws {
            let console = Console()
            let setup = try options.load(console)
            try finish(PipelineRun(setup: setup, options: RunOptions(catchUp: true, onlyFeed: feed), console: console).execute())
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the configuration and the registrations; print every problem.")
        @OptionGroup var options: ConfigOption

        func run() throws {
            try finish(Commands.check(configPath: options.path, environment: options.environment, console: Console()))
        }
    }

    struct Parse: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Parse one feed and print its articles as the matcher sees them.")
        @Argument(help: "A feed file or URL.") var source: String
        @Option(help: "Print for scripts (json) or for people (text).") var format: Commands.OutputFormat = .json
        @Option(help: ArgumentHelp("Resolve products through this configuration's catalog and feed defaults.", valueName: "path"))
        var config: String?

        func run() throws {
            try finish(
                Commands.parse(
                    source: source, format: format, configPath: config,
                    environment: ProcessInfo.processInfo.environment, console: Console()))
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say whether and why a customer matches an article, rule by rule.")
        @Argument(help: "The customer id.") var customer: String
        @Argument(help: "The article key, <feed>/<id>.") var article: String
        @OptionGroup var options: ConfigOption

        func run() throws {
            let console = Console()
            let setup = try options.load(console)
            try finish(Commands.explain(customerID: customer, articleKey: article, setup: setup, console: console))
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Feeds' last fetch and errors; deliveries pending, retrying and dead.")
        @OptionGroup var options: ConfigOption
        @Option(help: "Print for people (text) or for scripts (json).") var format: Commands.OutputFormat = .text

        func run() throws {
            let console = Console()
            let setup = try options.load(console)
            try finish(Commands.status(setup: setup, json: format == .json, console: console))
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The support-review report: what was notified, how fast against the targets, what is undelivered.",
            discussion: """
                Covers the notifications recorded from --since to --until (default: the 30 days \
                before now), for every active customer or one. Dates are 2026-11-01 (midnight \
                UTC) or 2026-11-01T09:30:00Z.
                """)
        @OptionGroup var options: ConfigOption
        @Option(help: "Only this customer.") var customer: String?
        @Option(help: ArgumentHelp("Start of the period.", valueName: "date")) var since: String?
        @Option(help: ArgumentHelp("End of the period (default: now).", valueName: "date")) var until: String?
        @Option(help: "The report's format: Markdown, CSV, JSON or one HTML page.") var format: SupportReport.Format = .md
        @Option(help: ArgumentHelp("Write the report to this file instead of standard output.", valueName: "path"))
        var output: String?

        func validate() throws {
            for (name, value) in [("--since", since), ("--until", until)] {
                if let value, CivilTime.parse(value) == nil {
                    throw ValidationError("\(name) \(value) is not a date: give 2026-11-01 or 2026-11-01T09:30:00Z")
                }
            }
        }

        func run() throws {
            let console = Console()
            let setup = try options.load(console)
            let request = Commands.ReportRequest(
                customer: customer, since: since.flatMap(CivilTime.parse), until: until.flatMap(CivilTime.parse),
                format: format, output: output)
            try finish(Commands.report(request, setup: setup, console: console))
        }
    }

    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upgrade planning: the known problems of a version, and what moving to it fixes and exposes.")
        @Argument(help: "The customer id.") var customer: String
        @Argument(help: "The product: its id, name or alias.") var product: String
        @Option(name: .customLong("to"), help: ArgumentHelp("The version the customer plans to move to.", valueName: "version"))
        var version: String
        @OptionGroup var options: ConfigOption
        @Option(help: "Print for people (text) or for scripts (json).") var format: Commands.OutputFormat = .text

        func run() throws {
            let console = Console()
            let setup = try options.load(console)
            try finish(
                Commands.review(
                    customerID: customer, product: product, to: version, json: format == .json, setup: setup, console: console))
        }
    }

    struct State: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work on the state itself.", subcommands: [Copy.self])

        struct Copy: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Copy the whole state between SQLite and PostgreSQL.",
                discussion: """
                    With --to, the configured state is copied into LOCATION; with --from, LOCATION is \
                    copied into the configured state. LOCATION is an SQLite file (a path) or a \
                    postgres:// URL; the destination must be empty. Stop the cron jobs first.
                    """)
            @OptionGroup var options: ConfigOption
            @Option(name: .customLong("to"), help: ArgumentHelp("Copy the configured state into this location.", valueName: "location"))
            var destination: String?
            @Option(name: .customLong("from"), help: ArgumentHelp("Copy this location into the configured state.", valueName: "location"))
            var source: String?

            func validate() throws {
                guard (destination == nil) != (source == nil) else { throw ValidationError("give exactly one of --to and --from") }
            }

            func run() throws {
                let console = Console()
                let setup = try options.load(console)
                try finish(Commands.copyState(setup: setup, to: destination, from: source, console: console))
            }
        }
    }
}

// A reader that goes away (`critfix run | head`) must give EPIPE, a failure the
// dispatcher records, not a silent death by signal.
signal(SIGPIPE, SIG_IGN)

// Usage errors exit 2 (SPEC 7.3), not argument-parser's 64.
do {
    var command = try Critfix.parseAsRoot()
    try command.run()
} catch let code as ExitCode {
    exit(code.rawValue)
} catch {
    let exitCode = Critfix.exitCode(for: error)
    if exitCode == .success {
        print(Critfix.fullMessage(for: error))
        exit(0)
    }
    FileHandle.standardError.write(Data((Critfix.fullMessage(for: error) + "\n").utf8))
    exit(exitCode == .validationFailure ? 2 : exitCode.rawValue)
}
