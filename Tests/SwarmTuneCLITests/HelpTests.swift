import Testing
@testable import SwarmTuneCLI

/// The help of every command comes from its declarations, and every example in it is accepted.
@Suite struct HelpTests {
    /// Shell-like words of an example line (double quotes group; no other shell syntax is used).
    static func words(_ line: String) -> [String] {
        var out: [String] = [], word = "", quoted = false, started = false
        for c in line {
            if c == "\"" { quoted.toggle(); started = true; continue }
            if c == " " && !quoted {
                if started { out.append(word) }
                word = ""; started = false
                continue
            }
            word.append(c); started = true
        }
        if started { out.append(word) }
        return out
    }

    @Test("every example line of every command parses and validates (without running)")
    func examplesAreAccepted() throws {
        var count = 0
        for command in SwarmTuneCommand.allCommands {
            #expect(!command.examples.isEmpty, "\(command.name) has no example")
            for example in command.examples {
                let argv = Self.words(example)
                #expect(argv.joined(separator: " ").hasPrefix(command.name), "\(command.name): example '\(example)' runs another command")
                do { try SwarmTuneCommand.check(argv) } catch { Issue.record("\(command.name): '\(example)': \(error)") }
                // Every declaration is read by the parse (none is declared and ignored).
                let rest = Array(argv.dropFirst(command.name.split(separator: " ").count))
                #expect(try command.unreadDeclarations(rest).isEmpty, "\(command.name) declares options it never reads")
                count += 1
            }
        }
        #expect(count >= 20)
    }

    @Test("every declared option appears exactly once in its command's help, and nothing else is listed")
    func helpIsGeneratedFromTheDeclarations() {
        var declaredAnywhere: Set<String> = ["--help", "--version", "--lora"]  // --lora: llama-cli's, named in export
        for command in SwarmTuneCommand.allCommands { declaredAnywhere.formUnion(command.declarations.map(\.name)) }
        for command in SwarmTuneCommand.allCommands {
            let help = command.help
            let names = command.declarations.map(\.name)
            #expect(Set(names).count == names.count, "\(command.name) declares an option twice")
            let optionLines = help.components(separatedBy: "\n").drop { $0 != "OPTIONS:" && $0 != "ARGUMENTS:" }
                .prefix { $0 != "EXAMPLES:" }
            let listed = optionLines.compactMap { line -> String? in
                guard line.hasPrefix("  "), line.dropFirst(2).first != " " else { return nil }
                return line.dropFirst(2).split(separator: " ").first.map { String($0.hasSuffix("...") ? $0.dropLast(3) : $0) }
            }.filter { $0 != "-h," }
            #expect(listed == names, "\(command.name): help lists \(listed), declared \(names)")
            // The usage line names each option once, in declaration order.
            let usage = Help.usage(name: command.name, specs: command.declarations)
            for spec in command.declarations where !spec.isPositional {
                #expect(usage.components(separatedBy: spec.name + (spec.isFlag ? "]" : " ")).count == 2,
                        "\(command.name): usage shows \(spec.name) other than once")
            }
            // Prose never mentions an option that no command declares.
            for word in help.split(whereSeparator: { " \n(),'\"[]|".contains($0) }) where word.hasPrefix("--") {
                let name = String(word.prefix { $0 != "=" && $0 != "." && $0 != ";" && $0 != ":" })
                #expect(declaredAnywhere.contains(name), "\(command.name): help mentions undeclared \(name)")
            }
        }
    }

    @Test("enum-valued options list the allowed values when refused")
    func choicesNameTheAllowedValues() {
        do {
            _ = try TrainCommand.parse(["--model", "m", "--synthetic", "3", "--precision", "fp8"])
            Issue.record("accepted --precision fp8")
        } catch {
            #expect(error.description.contains("--precision") && error.description.contains("fp32, bf16"), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("the top-level help lists every command, and every command's help runs")
    func everyCommandHasHelp() {
        for entry in SwarmTuneCommand.entries {
            #expect(SwarmTuneCommand.help.contains("  \(entry.name) "))
            #expect(SwarmTuneCommand.main([entry.name, "--help"]) == 0)
        }
        for command in SwarmTuneCommand.allCommands {
            #expect(SwarmTuneCommand.main(command.name.split(separator: " ").map(String.init) + ["--help"]) == 0)
            #expect(!command.help.contains("swarmnode"))
        }
    }
}
