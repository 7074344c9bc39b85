#if canImport(Glibc)
import Glibc
#endif
import SwarmTuneCLI

exit(SwarmTuneCommand.main(Array(CommandLine.arguments.dropFirst())))
