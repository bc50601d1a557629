"""Serving the application: operations, not application code.

    policykg.serve.commands     ``policykg serve``: checks the data and the port, then starts the supervisor
    policykg.serve.supervisor   granian's supervisor and server processes; replacing a process whose
                                query ran over the time limit; the watch thread of each process
    policykg.serve.wsgi         the WSGI entry each server process imports
    policykg.serve.affinity     one CPU for each server process
    policykg.serve.access_log   one line per request on stderr
"""
