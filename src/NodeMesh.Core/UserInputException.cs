namespace NodeMesh.Core;

/// <summary>
/// An error caused by what the user asked for (a bad option, file or spec). The message says
/// what is wrong and how to fix it; the CLI prints it without a stack trace and exits with code 2.
/// </summary>
public sealed class UserInputException(string message) : Exception(message);
