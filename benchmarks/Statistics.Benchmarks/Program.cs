using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project benchmarks/Statistics.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
