using SeqLab.Experiments.Cli;

return SeqLabCli.Invoke(args);
