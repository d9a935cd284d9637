import Foundation
import Testing
import TestSupport

/// Several `critfix run` processes on one PostgreSQL state (SPEC 9): 50 feeds, 10,000
/// customers, email to each worker's standard output and webhooks to a loopback
/// receiver that answers in 50 ms.
@Suite(.serialized) struct SharedStateRunTests {
    /// The installation, its state, the receiver, and what a run must deliver.
    struct Installation {
        let directory: String
        var config: String { directory + "/critfix.yaml" }
        let state: TestState
        let receiver: WebhookReceiver
        /// Delivery lines of a dry run before any run: what the runs must deliver.
        let expectedEmail: Int
        let expectedWebhooks: Int
        let expectedNotifications: Int

        init(state: (String) throws -> TestState, lease: String = "60s") throws {
            directory = try CLI.scratch() + "/shared"
            receiver = try WebhookReceiver(registrations: directory + "/registrations.yaml")
            let generated = try CLI.run(
                "/usr/bin/env",
                [
                    "python3", CLI.packageRoot + "/Scripts/make-corpus", "--feeds", "50", "--items", "1", "--customers",
                    "10000", "--seed", "5", "--webhook-fraction", "0.12", "--webhook-base", receiver.url("slow50"),
                    "--transport", "stdout", "--out", directory,
                ])
            try #require(generated.status == 0, "\(generated.stderr)")
            self.state = try state(directory)
            try self.state.use(in: directory + "/critfix.yaml", lease: lease)
            let dry = try CLI.critfix(["run", "--dry-run", "--summary", "--config", directory + "/critfix.yaml"])
            try #require(dry.status == 0, "\(dry.stderr)")
            let lines = dry.stdout.split(separator: "\n")
            expectedEmail = lines.filter { $0.hasPrefix("would send email") || $0.hasPrefix("would send digest email") }.count
            expectedWebhooks = lines.filter { $0.hasPrefix("would send webhook") }.count
            expectedNotifications = lines.first { $0.hasPrefix("notifications: ") }
                .flatMap { Int($0.split(separator: " ")[1]) } ?? -1
        }

        /// Starts a worker whose standard output (its email) goes to `name`.out.
        func start(_ name: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["run", "--summary", "--config", config]
            _ = FileManager.default.createFile(atPath: directory + "/\(name).out", contents: nil)
            _ = FileManager.default.createFile(atPath: directory + "/\(name).err", contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/\(name).out"))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/\(name).err"))
            try process.run()
            return process
        }

        func output(_ name: String) -> String {
            (try? String(contentsOfFile: directory + "/\(name).out", encoding: .utf8)) ?? ""
        }

        func errors(_ name: String) -> String {
            (try? String(contentsOfFile: directory + "/\(name).err", encoding: .utf8)) ?? ""
        }

        /// The Message-IDs the workers wrote, repeats included.
        func messageIDs(_ names: [String]) -> [String] {
            names.flatMap { name in
                output(name).split(separator: "\n").filter { $0.hasPrefix("Message-ID: ") }.map { String($0.dropFirst(12)) }
            }
        }

        /// `webhooks: N delivered` of a worker's summary.
        func webhooksDelivered(_ name: String) -> Int {
            output(name).split(separator: "\n").first { $0.hasPrefix("webhooks: ") }
                .flatMap { Int($0.split(separator: " ")[1]) } ?? -1
        }

        func status() throws -> [String: Int] {
            let status = try CLI.critfix(["status", "--config", config, "--format", "json"])
            let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            return json?["deliveries"] as? [String: Int] ?? [:]
        }

        /// Every article, notification and delivery is recorded once, every delivery is
        /// delivered, and the status says so.
        func expectAllRecordedOnceAndDelivered() throws {
            #expect(try state.query("SELECT count(*), count(DISTINCT key) FROM articles") == ["50|50"])
            #expect(try state.query("SELECT count(*) FROM notifications") == [String(expectedNotifications)])
            #expect(try state.query("SELECT channel, count(*) FROM deliveries GROUP BY channel ORDER BY channel")
                == ["email|\(expectedEmail)", "webhook|\(expectedWebhooks)"])
            let status = try status()
            #expect(status["delivered"] == expectedEmail + expectedWebhooks)
            #expect(status["pending"] == 0)
            #expect(status["retrying"] == 0)
            #expect(status["dead"] == 0)
        }
    }

    static func postgres(_ directory: String) throws -> TestState { try TestState(.postgres, directory: directory) }

    @Test func threeWorkersShareTheWorkAndDeliverEachOnce() throws {
        let installation = try Installation(state: Self.postgres)
        try #require(installation.expectedWebhooks > 1000 && installation.expectedEmail > 10_000)
        let names = ["w1", "w2", "w3"]
        // Within 100 ms of each other.
        var workers: [Process] = []
        for name in names {
            workers.append(try installation.start(name))
            Thread.sleep(forTimeInterval: 0.04)
        }
        for (name, worker) in zip(names, workers) {
            worker.waitUntilExit()
            #expect(worker.terminationStatus == 0, "\(name): \(installation.errors(name))")
        }
        try installation.expectAllRecordedOnceAndDelivered()
        // Every webhook once, by webhook-id; every email once, by Message-ID.
        let requests = try installation.receiver.requests()
        #expect(requests.count == installation.expectedWebhooks)
        #expect(Set(requests.map(\.webhookID)).count == installation.expectedWebhooks)
        #expect(requests.allSatisfy { $0.valid == true && $0.status == 200 })
        let messages = installation.messageIDs(names)
        #expect(messages.count == installation.expectedEmail)
        #expect(Set(messages).count == installation.expectedEmail)
        // The work was shared: each worker sent webhooks, and the feeds were read once.
        let shares = names.map(installation.webhooksDelivered)
        #expect(shares.allSatisfy { $0 > 0 }, "webhooks per worker: \(shares)")
        #expect(shares.reduce(0, +) == installation.expectedWebhooks)
        let skipped = names.filter { installation.output($0).contains("left to another run") }
        #expect(skipped.count >= 1, "some worker found the feeds taken")
        print("three workers: webhooks per worker \(shares)")
    }

    @Test func aKilledWorkersClaimsAreFinishedByTheOthers() throws {
        let installation = try Installation(state: Self.postgres, lease: "2s")
        let names = ["w1", "w2", "w3"]
        var workers: [Process] = []
        for name in names {
            workers.append(try installation.start(name))
            Thread.sleep(forTimeInterval: 0.04)
        }
        // Once webhooks flow, SIGKILL the second worker in the middle of its sending.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, try installation.receiver.requests().count < installation.expectedWebhooks / 3 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let seen = try installation.receiver.requests().count
        try #require(
            workers[1].isRunning, "the worker finished before it could be killed: \(seen) requests, \(installation.output("w2"))")
        kill(workers[1].processIdentifier, SIGKILL)
        for worker in workers { worker.waitUntilExit() }
        #expect(workers[0].terminationStatus == 0, "\(installation.errors("w1"))")
        #expect(workers[2].terminationStatus == 0, "\(installation.errors("w3"))")
        // What the others could not take while its leases held (2 s), the next run does.
        Thread.sleep(forTimeInterval: 2.2)
        let final = try installation.start("final")
        final.waitUntilExit()
        #expect(final.terminationStatus == 0, "\(installation.errors("final"))")
        try installation.expectAllRecordedOnceAndDelivered()

        let requests = try installation.receiver.requests()
        let ids = Set(requests.map(\.webhookID))
        #expect(ids.count == installation.expectedWebhooks, "none lost")
        // Repeats are only the killed worker's deliveries in flight (webhooks.concurrency,
        // at most six to one host), each with its first webhook-id and body.
        let repeats = requests.count - ids.count
        #expect(repeats <= 16, "\(repeats) repeats")
        var bodies: [String: String] = [:]
        for request in requests {
            if let known = bodies[request.webhookID] { #expect(known == request.body) }
            bodies[request.webhookID] = request.body
        }
        // Email: none lost; a kill repeats at most the 100 messages written since the last record.
        let messages = installation.messageIDs(names + ["final"])
        #expect(Set(messages).count == installation.expectedEmail)
        #expect(messages.count - installation.expectedEmail <= 100)
        print("killed worker: \(repeats) webhook repeats, \(messages.count - installation.expectedEmail) email repeats")
    }

    @Test func theDatabaseGoingAwayStopsTheRunAndTheNextOneFinishes() throws {
        let cluster = try PostgresCluster()
        defer { cluster.remove() }
        let installation = try Installation(
            state: { _ in try TestState(backend: .postgres, location: cluster.createDatabase()) }, lease: "2s")
        let worker = try installation.start("w1")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, worker.isRunning, try installation.receiver.requests().count < 300 {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try #require(worker.isRunning, "the run finished before the database could go away")
        try cluster.stop(immediate: true)
        worker.waitUntilExit()
        #expect(worker.terminationStatus == 1)
        let reason = installation.errors("w1")
        #expect(reason.contains("PostgreSQL state postgres://critfix@127.0.0.1:\(cluster.port)/"), "\(reason)")
        #expect(reason.split(separator: "\n").count <= 2, "a reason, not a trace: \(reason)")
        // While it is down, a run fails at once with the reason, and changes nothing.
        let refused = try installation.start("w2")
        refused.waitUntilExit()
        #expect(refused.terminationStatus == 1)
        #expect(installation.errors("w2").contains("cannot reach the PostgreSQL state"), "\(installation.errors("w2"))")

        try cluster.start()
        // The dead run's claims are taken over once their lease (2 s) ends.
        Thread.sleep(forTimeInterval: 2.2)
        let next = try installation.start("w3")
        next.waitUntilExit()
        #expect(next.terminationStatus == 0, "\(installation.errors("w3"))")
        try installation.expectAllRecordedOnceAndDelivered()
        let requests = try installation.receiver.requests()
        let ids = Set(requests.map(\.webhookID))
        #expect(ids.count == installation.expectedWebhooks, "none lost")
        // Sent again: only what was in flight, or sent and not yet recorded, when the database went.
        #expect(requests.count - ids.count <= 16, "\(requests.count - ids.count) repeats")
        let messages = installation.messageIDs(["w1", "w3"])
        #expect(Set(messages).count == installation.expectedEmail)
        #expect(messages.count - installation.expectedEmail <= 100)
    }
}
