public import Configuration
import Foundation

/// Configuration and registrations, loaded and validated, or the exit code that says why not.
public struct LoadedSetup: Sendable {
    public var configuration: CritfixConfiguration
    public var registrations: Registrations
}

public enum Setup {
    /// `--config`, else `$CRITFIX_CONFIG`, else `./critfix.yaml`.
    public static func configPath(_ option: String?, environment: [String: String]) -> String {
        option ?? environment["CRITFIX_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? "critfix.yaml"
    }

    /// Loads both files; prints every problem and returns the exit code on failure
    /// (78 for the configuration, 65 for the registrations).
    public static func load(configPath: String, environment: [String: String], console: Console)
        -> Result<LoadedSetup, SetupFailure>
    {
        let configuration: CritfixConfiguration
        do {
            configuration = try ConfigurationLoader.load(path: configPath, environment: environment)
        } catch {
            for diagnostic in error.diagnostics { console.error(diagnostic.description) }
            console.error("critfix: \(configPath): \(count(error.diagnostics.count)); nothing was done")
            return .failure(SetupFailure(exitCode: ExitStatus.invalidConfiguration))
        }
        do {
            let registrations = try RegistrationsLoader.load(
                path: configuration.registrations, catalog: configuration.catalog, environment: environment)
            return .success(LoadedSetup(configuration: configuration, registrations: registrations))
        } catch {
            for diagnostic in error.diagnostics { console.error(diagnostic.description) }
            console.error("critfix: \(configuration.registrations): \(count(error.diagnostics.count)); nothing was done")
            return .failure(SetupFailure(exitCode: ExitStatus.invalidRegistrations))
        }
    }

    static func count(_ problems: Int) -> String {
        problems == 1 ? "1 problem" : "\(problems) problems"
    }
}

public struct SetupFailure: Error, Sendable {
    public var exitCode: Int32
}
