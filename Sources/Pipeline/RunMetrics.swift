import Articles
import Configuration
import Foundation
import StateStore

/// `critfix run --metrics PATH` (SPEC 7): the run's figures and the state's totals in
/// Prometheus's text format, for node_exporter's textfile collector, replaced atomically.
/// A run that failed writes it too: its exit code and the failure are counted.
///
/// The two counters of runs live in the file itself (read back from the last one), so
/// that a run which cannot reach its state still counts; the state's totals are read
/// again after the run, through a store of their own.
public enum RunMetrics {
    /// Upper bounds of the latency histogram, in seconds: 1, 5, 15 and 30 minutes, 1, 4
    /// and 24 hours — the range of SPEC 3's sample `targets`.
    static let latencyBuckets: [Double] = [60, 300, 900, 1800, 3600, 14_400, 86_400]

    /// Writes the metrics of `run`, which ended with `exitCode`, to `path`. A failure to
    /// write is reported on stderr and changes the exit code to 1 when it was 0.
    public static func write(_ run: PipelineRun, exitCode: Int32, to path: String, console: Console) -> Int32 {
        let previous = (try? String(contentsOfFile: path, encoding: .utf8)).map(counters) ?? [:]
        var text = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples { text += "\(name)\(sample.labels) \(sample.value)\n" }
        }
        let figures = run.figures
        let failed = exitCode != ExitStatus.success
        metric("critfix_last_run_timestamp_seconds", "gauge", "When the last run started (Unix time).", [("", seconds(figures.started))])
        metric("critfix_run_duration_seconds", "gauge", "Wall time of the last run.", [("", decimal(figures.duration))])
        metric("critfix_last_run_exit_code", "gauge", "Exit code of the last run (SPEC 7.3; 0 = success).", [("", String(exitCode))])
        metric("critfix_runs_total", "counter", "Runs that wrote this file.", [("", String((previous["critfix_runs_total"] ?? 0) + 1))])
        metric(
            "critfix_run_failures_total", "counter", "Runs that ended with an exit code other than 0.",
            [("", String((previous["critfix_run_failures_total"] ?? 0) + (failed ? 1 : 0)))])
        metric("critfix_feeds_failed", "gauge", "Feeds that failed in the last run.", [("", String(figures.feedsFailed))])
        metric("critfix_run_articles_new", "gauge", "Articles new in the last run.", [("", String(figures.newArticles))])
        metric("critfix_run_notifications", "gauge", "Notifications the last run recorded.", [("", String(figures.notifications))])

        do throws(StateStoreError) {
            let configuration = run.setup.configuration
            // A run that could not make its state has none to count (and must not make one).
            if configuration.state.isMissing { throw StateStoreError("there is no state file yet") }
            let store = try configuration.openState()
            defer { store.close() }
            let lastSuccess = try store.recentRuns(limit: 1000).first { $0.exitCode == ExitStatus.success }
            if let lastSuccess {
                metric(
                    "critfix_last_success_timestamp_seconds", "gauge", "When the last successful run started (Unix time).",
                    [("", seconds(lastSuccess.started))])
            }
            let totals = try store.totals(latencyBounds: latencyBuckets)
            metric(
                "critfix_articles_new_total", "counter", "Articles recorded in the state, each counted once.",
                [("", String(totals.articles))])
            metric(
                "critfix_notifications_total", "counter", "Notifications recorded in the state (catch-up aside).",
                [("", String(totals.notifications))])
            var samples: [(String, String)] = []
            for channel in [Channel.email, .webhook] {
                for state in DeliveryRecord.Status.allCases {
                    let count = totals.deliveries[channel]?[state.rawValue] ?? 0
                    samples.append(("{channel=\"\(channel.rawValue)\",state=\"\(state.rawValue)\"}", String(count)))
                }
            }
            metric("critfix_deliveries", "gauge", "Deliveries in the state by channel and state.", samples)
            metric(
                "critfix_notification_latency_seconds", "histogram",
                "Publication to delivery of each delivered message, by severity.", Self.samples(totals.latency))
        } catch {
            console.error("critfix: --metrics: the state's totals are left out: \(error.message)")
        }
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            console.error("critfix: cannot write the metrics to \(path): \(error)")
            return exitCode == ExitStatus.success ? ExitStatus.failures : exitCode
        }
        return exitCode
    }

    /// A histogram's samples, cumulative as Prometheus has them, for severities 1 to 4.
    static func samples(_ histogram: LatencyHistogram) -> [(labels: String, value: String)] {
        var samples: [(String, String)] = []
        for severity in 1...4 {
            let perBucket = histogram.counts[severity] ?? Array(repeating: 0, count: histogram.bounds.count + 1)
            var cumulative = 0
            for (index, bound) in (histogram.bounds.map { String(format: "%.1f", $0) } + ["+Inf"]).enumerated() {
                cumulative += perBucket[index]
                samples.append(("_bucket{severity=\"\(severity)\",le=\"\(bound)\"}", String(cumulative)))
            }
            samples.append(("_sum{severity=\"\(severity)\"}", decimal(histogram.sums[severity] ?? 0)))
            samples.append(("_count{severity=\"\(severity)\"}", String(cumulative)))
        }
        return samples
    }

    /// The unlabelled counters of an earlier file, to carry on from.
    static func counters(_ text: String) -> [String: Int] {
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]), value >= 0, value < 1e15 {
                values[String(parts[0])] = Int(value)
            }
        }
        return values
    }

    static func seconds(_ date: Date) -> String { String(Int64(date.timeIntervalSince1970.rounded())) }

    static func decimal(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
