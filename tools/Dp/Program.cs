using DomainPlatform.Dp.Cli;

// Everything lives in DpCli so that tests run the same command tree in-process.
return await DpCli.RunAsync(args, DpEnvironment.FromProcess());
