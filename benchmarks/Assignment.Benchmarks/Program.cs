using BenchmarkDotNet.Running;

// Run with: dotnet run -c Release --project benchmarks/Assignment.Benchmarks -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
