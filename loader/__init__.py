"""policykg.loader"""
