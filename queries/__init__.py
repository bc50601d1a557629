"""policykg.queries"""
