namespace DomainPlatform.EventBus;

/// <summary>
/// Thrown by a handler that needs another event which has not arrived yet (events travel on different queues, so one may
/// overtake another). The bus tries the message again at <see cref="EventBusExtensions.EventWaitRetryIntervals"/>, for
/// longer than <see cref="EventBusExtensions.LongestEventWait"/>: a handler must stop waiting within that and decide
/// without the other event, so the message never reaches the error queue for waiting.
/// </summary>
public class EventNotYetArrivedException(string message) : Exception(message);
