using SeqLab.Experiments.Cli;
using SeqLab.Runtime.Memory;

Allocator.RestartWithOneArena(); // once, before any thread allocates: one glibc arena keeps training memory flat without mapping every buffer
return SeqLabCli.Invoke(args);
